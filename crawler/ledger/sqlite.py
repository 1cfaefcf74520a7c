"""The embedded ledger: one SQLite file in the archive directory.

A code look-up is a primary-key search, so it costs the same with ten codes or
ten million; nothing at start-up reads the archive files. WAL with
``synchronous=NORMAL`` keeps each commit cheap; a commit that a power cut loses
is recovered from the archive tail by the repair at the next start. A crawl
holds its writes in one transaction and commits them on the archive's fsync
tick (:meth:`SQLiteLedger.hold_commits`): a kill loses at most that tick's rows,
which the same repair adopts from the archive lines (records) or which the next
run asks again (every other state).

A damaged file (garbage pages, a garbage header, a cut) raises
:class:`LedgerDamaged` from whichever call first touches the damage, never a
bare ``sqlite3`` error: the archive files are the record, so the cure is always
the same, ``scrapy archive-verify --repair``, which rebuilds the ledger from them.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from crawler.clean.dates import utc_now_iso
from crawler.errors import StorageError
from crawler.ledger.base import ArchivedLine, CodeState, State
from crawler.ledger.rules import CAPTURE_LOST

SCHEMA = """
CREATE TABLE IF NOT EXISTS codes (
    code INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    detail TEXT,
    ref_code INTEGER,
    sha256 TEXT,
    archive_file TEXT,
    archive_offset INTEGER,
    published_at TEXT,
    revision INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    line_crc32 INTEGER
);
CREATE INDEX IF NOT EXISTS codes_by_sha256 ON codes (sha256) WHERE sha256 IS NOT NULL;
CREATE INDEX IF NOT EXISTS codes_by_published ON codes (published_at)
    WHERE published_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS codes_by_state ON codes (state, code);
-- newest_story and codes_published_since order by the instant, not the text:
-- published_at carries the Tehran offset, so text order is not time order.
CREATE INDEX IF NOT EXISTS codes_by_instant ON codes (julianday(published_at), code)
    WHERE state = 'archived';
CREATE TABLE IF NOT EXISTS archive_files (
    name TEXT PRIMARY KEY,
    committed_size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    spider TEXT,
    exit_status INTEGER,
    summary TEXT
);
"""

# What SCHEMA creates, by name: a read-only ledger must have it all.
_SCHEMA_NAMES = frozenset(re.findall(r"IF NOT EXISTS (\w+)", SCHEMA))

_COLUMNS = (
    "code, state, updated_at, detail, ref_code, sha256, archive_file, archive_offset,"
    " published_at, revision, attempts"
)


# SQLite's primary result codes for a file that is not (or no longer) a sound
# database; anything else (locked, disk full, I/O) is not damage.
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
# ... and for a file, or a directory, this process cannot write.
_SQLITE_READONLY = 8
_SQLITE_CANTOPEN = 14
_HEADER = b"SQLite format 3\x00"


class LedgerDamaged(StorageError):
    """The ledger file is damaged; the archive files can rebuild it."""

    def __init__(self, path: Path, why: str):
        self.path = path
        self.why = why
        super().__init__(
            f"the ledger {path} is damaged ({why}); run `scrapy archive-verify --repair"
            f" --dir {path.parent}` to rebuild it from the archive files"
        )


def header_damaged(path: Path) -> bool:
    """Whether a ledger file exists but does not start as an SQLite file. Ask
    before connecting: closing a connection to a file with a damaged header
    deletes its WAL, the evidence a repair moves aside."""
    if not path.is_file() or not path.stat().st_size:
        return False
    with path.open("rb") as handle:
        return handle.read(len(_HEADER)) != _HEADER


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether an sqlite3 error means the file itself is damaged.

    >>> is_damage(sqlite3.DatabaseError("database disk image is malformed"))
    True
    >>> is_damage(sqlite3.OperationalError("database is locked"))
    False
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(exc)
    return "malformed" in text or "not a database" in text


def cannot_write(exc: sqlite3.Error) -> bool:
    """Whether an sqlite3 error means the file or its directory cannot be
    written (a read-only mount, another user's files)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_READONLY, _SQLITE_CANTOPEN)


def open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes the ledger, for the commands that only read.

    SQLite reads a WAL database through its ``-shm`` file, which it creates
    when missing: in a directory this process cannot write (a backup mounted
    read-only, another user's archive) plain ``mode=ro`` works only while the
    ``-wal`` and ``-shm`` are there (a run has the ledger open, or was killed).
    Without a ``-wal`` the file is the whole ledger, and it is opened
    ``immutable`` (no ``-shm``, no locks; a run that starts writing meanwhile
    is not seen). A ``-wal`` holding changes without its ``-shm`` cannot be
    read there, and saying so beats reading the ledger without them.
    """
    uri = path.absolute().as_uri()
    try:
        return _opened(f"{uri}?mode=ro")
    except sqlite3.OperationalError as exc:
        if not cannot_write(exc):
            raise
        wal = path.with_name(f"{path.name}-wal")
        if wal.exists() and wal.stat().st_size:
            raise StorageError(
                f"cannot read the ledger {path}: {wal.name} holds changes that SQLite reads"
                f" only with its {path.name}-shm, and this process cannot create it there;"
                " copy the archive, both files with it, somewhere writable"
            ) from exc
    return _opened(f"{uri}?mode=ro&immutable=1")


def has_line_checksums(db: sqlite3.Connection) -> bool:
    """Whether the ledger keeps each archived line's CRC-32 (earlier versions did not)."""
    return any(row[1] == "line_crc32" for row in db.execute("PRAGMA table_info(codes)"))


def _opened(uri: str) -> sqlite3.Connection:
    """A connection that has read the schema: SQLite opens a file only then."""
    db = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except BaseException:
        db.close()
        raise
    return db


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _guarded(
    method: Callable[Concatenate[SQLiteLedger, _P], _R],
) -> Callable[Concatenate[SQLiteLedger, _P], _R]:
    """Damage found by ``method`` surfaces as LedgerDamaged."""

    @functools.wraps(method)
    def guarded(self: SQLiteLedger, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise LedgerDamaged(self.path, str(exc)) from exc
            raise

    return guarded


def _row_to_state(row: tuple[Any, ...]) -> CodeState:
    return CodeState(
        code=row[0],
        state=State(row[1]),
        updated_at=row[2],
        detail=row[3],
        ref_code=row[4],
        sha256=row[5],
        archive_file=row[6],
        archive_offset=row[7],
        published_at=row[8],
        revision=row[9],
        attempts=row[10],
    )


class SQLiteLedger:
    FILENAME = "ledger.sqlite3"

    def __init__(self, path: str | Path, *, read_only: bool = False):
        """``read_only``: for the commands that only read, which must work on
        an archive they cannot write (see :func:`open_read_only`)."""
        self.path = Path(path)
        self.read_only = read_only
        if header_damaged(self.path):
            raise LedgerDamaged(self.path, "not an SQLite file: its header is damaged")
        self._db = self._connect()
        self._commit_interval = 0.0
        self._held_since = 0.0
        try:
            self._open()
        except BaseException:
            self._db.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        if not self.read_only:
            return sqlite3.connect(self.path, isolation_level=None)
        try:
            return open_read_only(self.path)
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise LedgerDamaged(self.path, str(exc)) from exc
            raise

    @_guarded
    def _open(self) -> None:
        self._db.execute("PRAGMA busy_timeout=5000")
        if not self.read_only:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            if not has_line_checksums(self._db):  # a ledger of an earlier version
                self._db.execute("ALTER TABLE codes ADD COLUMN line_crc32 INTEGER")
            return
        if not self._missing_schema():
            return
        # A ledger from an older version gets this version's tables and indexes
        # the first time it is opened for writing: now, if it can be.
        self._db.close()
        try:
            SQLiteLedger(self.path).close()
        except sqlite3.OperationalError as exc:
            if not cannot_write(exc):
                raise
        self._db = self._connect()
        self._db.execute("PRAGMA busy_timeout=5000")
        if missing := self._missing_schema():
            raise StorageError(
                f"the ledger {self.path} comes from an older version (it has no"
                f" {', '.join(sorted(missing))}) and cannot be written here: open it once"
                " with write access (any crawl, or archive-verify) to bring it up to date"
            )

    def _missing_schema(self) -> set[str]:
        return set(_SCHEMA_NAMES) - {
            name for (name,) in self._db.execute("SELECT name FROM sqlite_master")
        }

    @classmethod
    def in_directory(cls, directory: str | Path, *, read_only: bool = False) -> SQLiteLedger:
        return cls(Path(directory) / cls.FILENAME, read_only=read_only)

    @property
    def connection(self) -> sqlite3.Connection:
        """The ledger's connection, for tables of other packages in the same
        file (the WARC index): their writes then share the ledger's
        transactions instead of waiting for its lock."""
        return self._db

    def problem(self, doing: str, exc: Exception) -> str:
        """The one line to stop a run with when the ledger's file failed
        ``doing`` something: damage says how to rebuild it."""
        if isinstance(exc, LedgerDamaged):
            return str(exc)
        if isinstance(exc, sqlite3.Error) and is_damage(exc):
            return str(LedgerDamaged(self.path, str(exc)))
        return f"{doing}: {exc}"

    def hold_commits(self, interval: float) -> None:
        """From now on, keep writes in an open transaction and commit it at
        most every ``interval`` seconds (on a write, or on :meth:`commit`):
        one commit per tick instead of one per code. 0 commits each write."""
        self._commit_interval = interval

    @_guarded
    def commit(self) -> None:
        """Commit what writes are held (the tick, the end of a run)."""
        if self._db.in_transaction:
            self._db.execute("COMMIT")

    def _written(self) -> None:
        """After a write: commit it now, or when its tick comes."""
        if not self._db.in_transaction:
            return
        now = time.monotonic()
        if self._commit_interval <= 0 or now - self._held_since >= self._commit_interval:
            self._db.execute("COMMIT")

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self._db.close()

    @classmethod
    def move_aside(cls, path: Path, stamp: str) -> Path:
        """Rename a damaged ledger and its ``-wal``/``-shm`` to
        ``<name>.damaged-<stamp>``; return the new name of the main file.

        The WAL goes first: left behind, it would be replayed into the fresh
        ledger created at the old name.
        """
        target = path.with_name(f"{path.name}.damaged-{stamp}")
        for suffix in ("-wal", "-shm", ""):
            source = path.with_name(path.name + suffix)
            if source.exists():
                os.replace(source, target.with_name(target.name + suffix))
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return target

    def problems(self, quick: bool = False) -> list[str]:
        """What ``PRAGMA integrity_check`` (or the cheaper ``quick_check``,
        which skips matching indexes against their tables) finds; empty when
        the file is sound. A file too damaged to check is one problem."""
        pragma = "quick_check" if quick else "integrity_check"
        try:
            rows = self._db.execute(f"PRAGMA {pragma}(100)").fetchall()
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                return [str(exc)]
            raise
        found = [row[0] for row in rows]
        return [] if found == ["ok"] else found

    # -- reading ------------------------------------------------------------

    @_guarded
    def get(self, code: int) -> CodeState | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM codes WHERE code = ?", (code,)).fetchone()
        return _row_to_state(row) if row else None

    @_guarded
    def states_between(self, low: int, high: int) -> dict[int, CodeState]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM codes WHERE code BETWEEN ? AND ?", (low, high)
        )
        return {row[0]: _row_to_state(row) for row in rows}

    @_guarded
    def code_for_hash(self, sha256: str) -> int | None:
        row = self._db.execute(
            "SELECT code FROM codes WHERE sha256 = ? AND state = 'archived' LIMIT 1", (sha256,)
        ).fetchone()
        return row[0] if row else None

    @_guarded
    def highest_story_code(self) -> int | None:
        row = self._db.execute(
            "SELECT MAX(code) FROM codes WHERE state IN ('archived', 'duplicate', 'redirected')"
        ).fetchone()
        return row[0]

    def codes_published_since(self, iso_time: str) -> Iterator[int]:
        # published_at carries the Tehran offset, so compare as UTC instants
        # (the expression index codes_by_instant serves this).
        yield from (
            code
            for (code,) in self._rows(
                "SELECT code FROM codes INDEXED BY codes_by_instant WHERE state = 'archived'"
                " AND julianday(published_at) >= julianday(?) ORDER BY code",
                (iso_time,),
            )
        )

    def _rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        """A cursor's rows as they come, with damage met on the way raised as
        LedgerDamaged (a generator runs outside any decorator's ``try``)."""
        try:
            yield from self._db.execute(sql, parameters)
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise LedgerDamaged(self.path, str(exc)) from exc
            raise

    @_guarded
    def codes_in_states(
        self,
        states: Iterable[State],
        *,
        after: int = 0,
        limit: int = 1000,
        oldest_first: bool = False,
    ) -> list[int]:
        """Up to ``limit`` codes in one of ``states``: above ``after`` in code
        order (page by page), or the ones whose last answer is oldest."""
        names = [state.value for state in states]
        marks = ", ".join("?" * len(names))
        order = "updated_at, code" if oldest_first else "code"
        rows = self._rows(
            f"SELECT code FROM codes WHERE state IN ({marks}) AND code > ?"
            f" ORDER BY {order} LIMIT ?",
            (*names, after, limit),
        )
        return [code for (code,) in rows]

    @_guarded
    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT state, COUNT(*) FROM codes GROUP BY state")
        return {state: n for state, n in rows}

    @_guarded
    def code_range(self) -> tuple[int | None, int | None]:
        # Apart, each is one look-up at an end of the primary key; together in
        # one SELECT, SQLite scans the whole table.
        (low,) = self._db.execute("SELECT MIN(code) FROM codes").fetchone()
        (high,) = self._db.execute("SELECT MAX(code) FROM codes").fetchone()
        return low, high

    @_guarded
    def newest_story(self) -> CodeState | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM codes INDEXED BY codes_by_instant WHERE state = 'archived'"
            " ORDER BY julianday(published_at) DESC, code DESC LIMIT 1"
        ).fetchone()
        return _row_to_state(row) if row else None

    def archived(self) -> Iterator[CodeState]:
        for row in self._rows(
            f"SELECT {_COLUMNS} FROM codes WHERE state = 'archived' ORDER BY code"
        ):
            yield _row_to_state(row)

    def archived_positions(self) -> Iterator[tuple[int, str, str, int, int]]:
        """``(code, sha256, archive_file, archive_offset, revision)`` of every
        archived code in code order: plain tuples, streamed, for comparing
        millions of codes against the files without an object per code."""
        return self._rows(
            # The table itself is in code order: reading it straight costs less
            # than going through codes_by_state and back to each row.
            "SELECT code, sha256, archive_file, archive_offset, revision FROM codes NOT INDEXED"
            " WHERE state = 'archived' ORDER BY code"
        )

    @staticmethod
    def archived_positions_in(
        path: Path, archive_file: str, codes: Sequence[int]
    ) -> dict[int, tuple[int, str, str | None, int | None]]:
        """``code -> (archive_offset, sha256, published_at, line_crc32)`` of
        those of ``codes`` that the ledger at ``path`` calls archived in
        ``archive_file``, read through a
        read-only connection of its own: fit for a worker process forked from
        one that has the ledger open (a connection must not cross a fork)."""
        if not codes:
            return {}
        low, high = min(codes), max(codes)
        db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            # An earlier version's ledger that could not be upgraded (read-only) has none.
            crc = "line_crc32" if has_line_checksums(db) else "NULL"
            if high - low < 4 * len(codes):  # dense: one range of the primary key
                rows = db.execute(
                    f"SELECT code, archive_offset, sha256, published_at, {crc} FROM codes"
                    " WHERE code BETWEEN ? AND ?"
                    " AND state = 'archived' AND archive_file = ?",
                    (low, high, archive_file),
                )
            else:
                rows = db.execute(
                    f"SELECT code, archive_offset, sha256, published_at, {crc} FROM codes"
                    " WHERE code IN (SELECT value FROM json_each(?))"
                    " AND state = 'archived' AND archive_file = ?",
                    (json.dumps(list(codes)), archive_file),
                )
            return {
                code: (offset, sha, published, crc) for code, offset, sha, published, crc in rows
            }
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise LedgerDamaged(path, str(exc)) from exc
            raise
        finally:
            db.close()

    @_guarded
    def committed_sizes(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT name, committed_size FROM archive_files"))

    # -- writing ------------------------------------------------------------

    @_guarded
    def record_archived(self, line: ArchivedLine) -> None:
        """The line is already in the archive file: record it and the file's
        new committed size in one transaction."""
        with self._write():
            self._upsert_archived(line)
            self._db.execute(
                "INSERT INTO archive_files (name, committed_size) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET committed_size ="
                " MAX(committed_size, excluded.committed_size)",
                (line.archive_file, line.end),
            )

    def _upsert_archived(self, line: ArchivedLine) -> None:
        self._db.execute(
            "INSERT INTO codes (code, state, updated_at, sha256, archive_file, archive_offset,"
            " published_at, revision, attempts, line_crc32)"
            " VALUES (?, 'archived', ?, ?, ?, ?, ?, ?, 0, ?)"
            " ON CONFLICT (code) DO UPDATE SET state = 'archived',"
            " updated_at = excluded.updated_at, detail = NULL, ref_code = NULL,"
            " sha256 = excluded.sha256, archive_file = excluded.archive_file,"
            " archive_offset = excluded.archive_offset, published_at = excluded.published_at,"
            " revision = excluded.revision, attempts = 0, line_crc32 = excluded.line_crc32",
            (
                line.code,
                utc_now_iso(),
                line.sha256,
                line.archive_file,
                line.offset,
                line.published_at,
                line.revision,
                line.line_crc32,
            ),
        )

    @_guarded
    def record(
        self, code: int, state: State, *, detail: str | None = None, ref_code: int | None = None
    ) -> None:
        """Record a state other than archived (which rules.transition decides;
        an archived code is never passed here)."""
        if state is State.ARCHIVED:
            raise ValueError("use record_archived() for archived codes")
        with self._write():
            current = self.get(code)
            attempts = (current.attempts if current else 0) + 1 if state is State.FAILED else 0
            self._db.execute(
                "INSERT INTO codes (code, state, updated_at, detail, ref_code, attempts)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (code) DO UPDATE SET state = excluded.state,"
                " updated_at = excluded.updated_at, detail = excluded.detail,"
                " ref_code = excluded.ref_code, attempts = excluded.attempts",
                (code, state.value, utc_now_iso(), detail, ref_code, attempts),
            )

    @_guarded
    def adopt_lines(self, archive_file: str, lines: list[ArchivedLine], size: int) -> None:
        """Repair: register lines found in an archive tail past the committed size."""
        with self._transaction():
            for line in lines:
                current = self.get(line.code)
                if current and current.revision and current.revision > line.revision:
                    continue
                self._upsert_archived(line)
            self._db.execute(
                "INSERT INTO archive_files (name, committed_size) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET committed_size = excluded.committed_size",
                (archive_file, size),
            )

    @_guarded
    def forget_archived_after(self, archive_file: str, size: int) -> list[int]:
        """Repair after a reboot lost the end of a file: codes whose line lay
        past ``size`` are no longer archived, so the next run fetches them."""
        with self._transaction():
            codes = [
                code
                for (code,) in self._db.execute(
                    "SELECT code FROM codes WHERE state = 'archived' AND archive_file = ?"
                    " AND archive_offset >= ?",
                    (archive_file, size),
                )
            ]
            self._db.executemany("DELETE FROM codes WHERE code = ?", [(c,) for c in codes])
            self._db.execute(
                "UPDATE archive_files SET committed_size = ? WHERE name = ?", (size, archive_file)
            )
        return codes

    @_guarded
    def replace_archived(self, lines: Iterable[ArchivedLine], sizes: dict[str, int]) -> list[int]:
        """Rebuild every archived state from the archive's own lines (streamed:
        each code's latest line, in any order); return the codes that were
        archived without a line (now forgotten)."""
        with self._transaction():
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS archived_before (code INTEGER)")
            self._db.execute("DELETE FROM temp.archived_before")
            self._db.execute(
                "INSERT INTO temp.archived_before SELECT code FROM codes WHERE state = 'archived'"
            )
            self._db.execute("DELETE FROM codes WHERE state = 'archived'")
            for line in lines:
                self._upsert_archived(line)
            self._db.execute("DELETE FROM archive_files")
            self._db.executemany(
                "INSERT INTO archive_files (name, committed_size) VALUES (?, ?)", sizes.items()
            )
            lost = [
                code
                for (code,) in self._db.execute(
                    "SELECT code FROM temp.archived_before WHERE code NOT IN"
                    " (SELECT code FROM codes WHERE state = 'archived') ORDER BY code"
                )
            ]
            self._db.execute("DELETE FROM temp.archived_before")
        return lost

    @_guarded
    def forget_file(self, archive_file: str) -> list[int]:
        """Repair after an archive file vanished: its codes are no longer
        archived (the next run fetches them) and the file is no longer known."""
        with self._transaction():
            codes = self.forget_archived_after(archive_file, 0)
            self._db.execute("DELETE FROM archive_files WHERE name = ?", (archive_file,))
        return codes

    @_guarded
    def lower_committed_size(self, archive_file: str, size: int) -> None:
        """Before a repair rewrites a file from ``size`` on: a kill after the
        rewrite leaves lines past ``size`` that the next start adopts afresh."""
        with self._transaction():
            self._db.execute(
                "UPDATE archive_files SET committed_size = MIN(committed_size, ?) WHERE name = ?",
                (size, archive_file),
            )

    @_guarded
    def forget_captures(self, codes: Iterable[int]) -> list[int]:
        """Codes whose WARC capture is gone, so that the next run that covers
        them fetches them again; return those that are archived.

        An archived code keeps its record (forgetting it would archive the
        story a second time): its detail says ``CAPTURE_LOST``, which makes it
        due (``rules.due``) until :meth:`captured_again`. Any other code is
        forgotten, as if never asked."""
        codes = list(codes)
        with self._transaction():
            self._db.executemany(
                "DELETE FROM codes WHERE code = ? AND state != 'archived'", [(c,) for c in codes]
            )
            kept = [
                code
                for code in codes
                if self._db.execute(
                    "UPDATE codes SET detail = ? WHERE code = ? AND state = 'archived'",
                    (CAPTURE_LOST, code),
                ).rowcount
            ]
        return kept

    @_guarded
    def captured_again(self, codes: Iterable[int]) -> None:
        """Archived codes whose lost capture a run made again: settled again."""
        with self._transaction():
            self._db.executemany(
                "UPDATE codes SET detail = NULL WHERE code = ? AND state = 'archived'"
                " AND detail = ?",
                [(code, CAPTURE_LOST) for code in codes],
            )

    # -- runs ---------------------------------------------------------------

    @_guarded
    def record_run(self, run_id: str, summary: dict[str, Any]) -> None:
        with self._write():
            self._db.execute(
                "INSERT INTO runs (run_id, started_at, finished_at, spider, exit_status, summary)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET"
                " finished_at = excluded.finished_at, exit_status = excluded.exit_status,"
                " summary = excluded.summary",
                (
                    run_id,
                    summary.get("started_at"),
                    summary.get("finished_at"),
                    summary.get("spider"),
                    summary.get("exit_status"),
                    json.dumps(summary, ensure_ascii=False),
                ),
            )

    @_guarded
    def recent_runs(self, count: int) -> list[dict[str, Any]]:
        """The ``count`` runs recorded last, newest first (insertion order,
        as :meth:`last_run`)."""
        rows = self._db.execute("SELECT summary FROM runs ORDER BY rowid DESC LIMIT ?", (count,))
        return [json.loads(summary) for (summary,) in rows]

    def last_run(self) -> dict[str, Any] | None:
        # Insertion order, not started_at: a clock that was once ahead must not
        # keep an old run "last" for ever.
        row = self._db.execute("SELECT summary FROM runs ORDER BY rowid DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """One write: in its own transaction, or in the held one (see
        :meth:`hold_commits`), which a failed write rolls back whole: its
        archive lines are adopted again at the next start."""
        if not self._db.in_transaction:
            self._db.execute("BEGIN IMMEDIATE")
            self._held_since = time.monotonic()
        try:
            yield
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        self._written()


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error; nests as a no-op."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self._outer = False

    def __enter__(self) -> None:
        if not self._db.in_transaction:
            self._db.execute("BEGIN IMMEDIATE")
            self._outer = True

    def __exit__(self, exc_type: object, *_: object) -> None:
        if not self._outer:
            return
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
