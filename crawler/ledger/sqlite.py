"""The embedded ledger: one SQLite file in the archive directory.

A code look-up is a primary-key search, so it costs the same with ten codes or
ten million; nothing at start-up reads the archive files. WAL with
``synchronous=NORMAL`` keeps each per-record commit cheap; a commit that a power
cut loses is recovered from the archive tail by the repair at the next start.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from crawler.clean.dates import utc_now_iso
from crawler.ledger.base import ArchivedLine, CodeState, State

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
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS codes_by_sha256 ON codes (sha256) WHERE sha256 IS NOT NULL;
CREATE INDEX IF NOT EXISTS codes_by_published ON codes (published_at)
    WHERE published_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS codes_by_state ON codes (state, code);
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

_COLUMNS = (
    "code, state, updated_at, detail, ref_code, sha256, archive_file, archive_offset,"
    " published_at, revision, attempts"
)


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

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)

    @classmethod
    def in_directory(cls, directory: str | Path) -> SQLiteLedger:
        return cls(Path(directory) / cls.FILENAME)

    def close(self) -> None:
        self._db.close()

    # -- reading ------------------------------------------------------------

    def get(self, code: int) -> CodeState | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM codes WHERE code = ?", (code,)).fetchone()
        return _row_to_state(row) if row else None

    def states_between(self, low: int, high: int) -> dict[int, CodeState]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM codes WHERE code BETWEEN ? AND ?", (low, high)
        )
        return {row[0]: _row_to_state(row) for row in rows}

    def code_for_hash(self, sha256: str) -> int | None:
        row = self._db.execute(
            "SELECT code FROM codes WHERE sha256 = ? AND state = 'archived' LIMIT 1", (sha256,)
        ).fetchone()
        return row[0] if row else None

    def highest_story_code(self) -> int | None:
        row = self._db.execute(
            "SELECT MAX(code) FROM codes WHERE state IN ('archived', 'duplicate', 'redirected')"
        ).fetchone()
        return row[0]

    def codes_published_since(self, iso_time: str) -> Iterator[int]:
        # published_at carries the Tehran offset, so compare as UTC instants.
        rows = self._db.execute(
            "SELECT code FROM codes WHERE state = 'archived' AND published_at IS NOT NULL"
            " AND julianday(published_at) >= julianday(?) ORDER BY code",
            (iso_time,),
        )
        for (code,) in rows:
            yield code

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
        rows = self._db.execute(
            f"SELECT code FROM codes WHERE state IN ({marks}) AND code > ?"
            f" ORDER BY {order} LIMIT ?",
            (*names, after, limit),
        )
        return [code for (code,) in rows]

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT state, COUNT(*) FROM codes GROUP BY state")
        return {state: n for state, n in rows}

    def code_range(self) -> tuple[int | None, int | None]:
        low, high = self._db.execute("SELECT MIN(code), MAX(code) FROM codes").fetchone()
        return low, high

    def newest_story(self) -> CodeState | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM codes WHERE state = 'archived'"
            " ORDER BY julianday(published_at) DESC, code DESC LIMIT 1"
        ).fetchone()
        return _row_to_state(row) if row else None

    def archived(self) -> Iterator[CodeState]:
        for row in self._db.execute(
            f"SELECT {_COLUMNS} FROM codes WHERE state = 'archived' ORDER BY code"
        ):
            yield _row_to_state(row)

    def committed_sizes(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT name, committed_size FROM archive_files"))

    # -- writing ------------------------------------------------------------

    def record_archived(self, line: ArchivedLine) -> None:
        """The line is already in the archive file: record it and the file's
        new committed size in one transaction."""
        with self._transaction():
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
            " published_at, revision, attempts) VALUES (?, 'archived', ?, ?, ?, ?, ?, ?, 0)"
            " ON CONFLICT (code) DO UPDATE SET state = 'archived',"
            " updated_at = excluded.updated_at, detail = NULL, ref_code = NULL,"
            " sha256 = excluded.sha256, archive_file = excluded.archive_file,"
            " archive_offset = excluded.archive_offset, published_at = excluded.published_at,"
            " revision = excluded.revision, attempts = 0",
            (
                line.code,
                utc_now_iso(),
                line.sha256,
                line.archive_file,
                line.offset,
                line.published_at,
                line.revision,
            ),
        )

    def record(
        self, code: int, state: State, *, detail: str | None = None, ref_code: int | None = None
    ) -> None:
        """Record a state other than archived. An archived code keeps its
        record fields: a later failure to refresh it does not unarchive it."""
        if state is State.ARCHIVED:
            raise ValueError("use record_archived() for archived codes")
        with self._transaction():
            current = self.get(code)
            if current is not None and current.state is State.ARCHIVED:
                return
            attempts = (current.attempts if current else 0) + 1 if state is State.FAILED else 0
            self._db.execute(
                "INSERT INTO codes (code, state, updated_at, detail, ref_code, attempts)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (code) DO UPDATE SET state = excluded.state,"
                " updated_at = excluded.updated_at, detail = excluded.detail,"
                " ref_code = excluded.ref_code, attempts = excluded.attempts",
                (code, state.value, utc_now_iso(), detail, ref_code, attempts),
            )

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

    def replace_archived(self, lines: list[ArchivedLine], sizes: dict[str, int]) -> list[int]:
        """Rebuild every archived state from the archive's own lines; return
        the codes that were archived without a line (now forgotten)."""
        with self._transaction():
            before = {
                code
                for (code,) in self._db.execute("SELECT code FROM codes WHERE state = 'archived'")
            }
            self._db.execute("DELETE FROM codes WHERE state = 'archived'")
            for line in lines:
                self._upsert_archived(line)
            self._db.execute("DELETE FROM archive_files")
            self._db.executemany(
                "INSERT INTO archive_files (name, committed_size) VALUES (?, ?)", sizes.items()
            )
        return sorted(before - {line.code for line in lines})

    # -- runs ---------------------------------------------------------------

    def record_run(self, run_id: str, summary: dict[str, Any]) -> None:
        with self._transaction():
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

    def last_run(self) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT summary FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1"
        ).fetchone()
        return json.loads(row[0]) if row else None

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


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
