"""Reading records back out of the archive through the ledger, never by scanning.

A story's current revision is where its ``codes`` row says (``archive_file``,
``archive_offset``): one seek. Older revisions and the source of each record
are kept in an index of every archived line, the ``revisions`` table, which
lives in the ledger's database beside ``codes``. It is a cache of the files,
rebuilt from them when it disagrees: each call first indexes the bytes the
ledger committed since the previous call (``catch_up``), so every byte of the
archive is read once by the index, not once per command.

Readers take no lock. A compaction (``crawler.archive.compact``) may move a
record between the moment its location is looked up and the moment it is read;
the read then notices the line is not the one asked for and looks again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from crawler.archive.lock import lock_is_held
from crawler.codes import MAX_CODE, CodeSet
from crawler.ledger import SQLiteLedger
from crawler.ledger.sqlite import cannot_write, open_read_only

INDEX_SCHEMA = """
CREATE TABLE IF NOT EXISTS revisions (
    code INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    archive_file TEXT NOT NULL,
    archive_offset INTEGER NOT NULL,
    length INTEGER NOT NULL,
    sha256 TEXT,
    published_at TEXT,
    source TEXT
);
CREATE INDEX IF NOT EXISTS revisions_by_code ON revisions (code, revision);
CREATE INDEX IF NOT EXISTS revisions_by_file ON revisions (archive_file, archive_offset);
CREATE TABLE IF NOT EXISTS revisions_indexed (
    name TEXT PRIMARY KEY,
    size INTEGER NOT NULL
);
"""

# A look-up raced with a compaction at most once or twice in a row.
_READ_ATTEMPTS = 4


class RecordMissing(LookupError):
    """The ledger points at a line the files do not hold (run archive-verify)."""


@dataclass(frozen=True)
class Location:
    code: int
    revision: int
    archive_file: str
    offset: int


def connect(directory: Path) -> sqlite3.Connection:
    """The ledger's database, with the revision index's tables in place."""
    db = sqlite3.connect(directory / SQLiteLedger.FILENAME, isolation_level=None)
    db.execute("PRAGMA busy_timeout=10000")
    db.executescript(INDEX_SCHEMA)
    return db


def temporary_index(db: sqlite3.Connection) -> None:
    """The revision index as temporary tables of a connection that cannot
    write the ledger, filled with what the ledger holds of it: what is indexed
    then lasts as long as the command."""
    db.executescript(
        INDEX_SCHEMA.replace("CREATE TABLE IF NOT EXISTS ", "CREATE TEMP TABLE ").replace(
            "CREATE INDEX IF NOT EXISTS ", "CREATE INDEX temp."
        )
    )
    kept = {name for (name,) in db.execute("SELECT name FROM main.sqlite_master")}
    if {"revisions", "revisions_indexed"} <= kept:
        db.execute("BEGIN")  # one snapshot of both
        db.execute("INSERT INTO temp.revisions SELECT * FROM main.revisions")
        db.execute("INSERT INTO temp.revisions_indexed SELECT * FROM main.revisions_indexed")
        db.execute("COMMIT")


def compacting_name(name: str) -> str:
    """The temporary name a compaction writes ``name`` under: outside the
    ``stories-*.jsonl`` pattern, so start-up repair and verify never see it.

    >>> compacting_name("stories-2026-11.jsonl")
    '.stories-2026-11.jsonl.compacting'
    """
    return f".{name}.compacting"


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """
    >>> parse_line(b'{"story_code": 7, "revision": 2}\\n')["revision"]
    2
    >>> parse_line(b'{"story_code": 7') is None
    True
    """
    if not raw.endswith(b"\n"):
        return None
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) else None


def _read_line(directory: Path, name: str, offset: int) -> dict[str, Any] | None:
    for candidate in (name, compacting_name(name)):
        # While a compaction renames its new file into place, the ledger
        # already points at the new name; the same bytes are under the
        # temporary one.
        try:
            with (directory / candidate).open("rb") as handle:
                handle.seek(offset)
                record = parse_line(handle.readline())
        except FileNotFoundError:
            continue
        if record is not None:
            return record
    return None


def _matches(record: dict[str, Any] | None, location: Location) -> bool:
    return (
        record is not None
        and record.get("story_code") == location.code
        and (record.get("revision") or 1) == location.revision
    )


def _still_indexable(db: sqlite3.Connection, name: str, start: int, end: int) -> bool:
    committed = db.execute(
        "SELECT committed_size FROM archive_files WHERE name = ?", (name,)
    ).fetchone()
    indexed = db.execute("SELECT size FROM revisions_indexed WHERE name = ?", (name,)).fetchone()
    return committed is not None and committed[0] >= end and (indexed or (0,))[0] == start


class ArchiveReader:
    """Records by code, by revision and by selection, through the ledger,
    which it opens read-only: it reads archives it cannot write."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.db = open_read_only(directory / SQLiteLedger.FILENAME)
        self.db.execute("PRAGMA busy_timeout=10000")
        self._index: sqlite3.Connection | None = None

    def close(self) -> None:
        self.db.close()
        # Last, so that SQLite, closing the ledger's last connection, folds
        # its write-ahead log back in.
        if self._index is not None and self._index is not self.db:
            self._index.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- the index ----------------------------------------------------------

    def _indexer(self) -> sqlite3.Connection:
        """The connection that writes the revision index: one to the ledger
        when it can be written and no run is writing it, so that the index
        serves later commands too; else the read-only one, with the index in
        temporary tables."""
        if self._index is None:
            # A run under way holds the ledger's write lock for most of
            # each fsync tick: waiting for it could outlast any timeout.
            if lock_is_held(self.directory):
                temporary_index(self.db)
                self._index = self.db
                return self._index
            try:
                self._index = connect(self.directory)
            except sqlite3.OperationalError as exc:
                if not cannot_write(exc):
                    raise
                temporary_index(self.db)
                self._index = self.db
        return self._index

    def catch_up(self) -> int:
        """Index what the ledger committed since the last call; return the
        number of lines indexed. Files that shrank or vanished (repair,
        compaction) are indexed again from their start."""
        self._indexer()
        self.db.execute("BEGIN")  # one snapshot of both tables
        try:
            committed = dict(self.db.execute("SELECT name, committed_size FROM archive_files"))
            indexed = dict(self.db.execute("SELECT name, size FROM revisions_indexed"))
        finally:
            self.db.execute("COMMIT")
        added = 0
        for name in indexed.keys() - committed.keys():
            self._drop_file(name)
        for name, size in sorted(committed.items()):
            start = indexed.get(name, 0)
            if start > size:
                self._drop_file(name)
                start = 0
            if start < size:
                added += self._index_file(name, start, size)
        return added

    def catch_up_fully(self) -> None:
        """Catch up until every committed byte is indexed: a selection by
        source or of all revisions must not miss a file a compaction was
        moving at the time."""
        for _ in range(_READ_ATTEMPTS):
            self.catch_up()
            behind = self.db.execute(
                "SELECT a.name FROM archive_files a LEFT JOIN revisions_indexed i"
                " ON i.name = a.name WHERE COALESCE(i.size, 0) < a.committed_size"
            ).fetchall()
            if not behind:
                return
        raise RecordMissing(
            f"{behind[0][0]} is shorter than the ledger says (run scrapy archive-verify)"
        )

    def _drop_file(self, name: str) -> None:
        index = self._indexer()
        index.execute("BEGIN IMMEDIATE")
        index.execute("DELETE FROM revisions WHERE archive_file = ?", (name,))
        index.execute("DELETE FROM revisions_indexed WHERE name = ?", (name,))
        index.execute("COMMIT")

    def _index_file(self, name: str, start: int, end: int) -> int:
        rows = []
        offset = start
        try:
            with (self.directory / name).open("rb") as handle:
                handle.seek(start)
                while offset < end:
                    raw = handle.readline()
                    if not raw:
                        break
                    record = parse_line(raw)
                    if record is not None and isinstance(record.get("story_code"), int):
                        rows.append(
                            (
                                record["story_code"],
                                record.get("revision") or 1,
                                name,
                                offset,
                                len(raw),
                                record.get("content_sha256"),
                                record.get("published_at"),
                                record.get("source"),
                            )
                        )
                    offset += len(raw)
        except FileNotFoundError:
            # A compaction is moving it; the next call indexes the new file.
            return 0
        index = self._indexer()
        index.execute("BEGIN IMMEDIATE")
        try:
            if not _still_indexable(index, name, start, end):
                # A compaction moved the file while it was read: next time.
                index.execute("ROLLBACK")
                return 0
            index.execute(
                "DELETE FROM revisions WHERE archive_file = ? AND archive_offset >= ?",
                (name, start),
            )
            index.executemany("INSERT INTO revisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            index.execute(
                "INSERT INTO revisions_indexed (name, size) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET size = excluded.size",
                (name, offset),
            )
            index.execute("COMMIT")
        except BaseException:
            index.execute("ROLLBACK")
            raise
        return len(rows)

    # -- one story ----------------------------------------------------------

    def current_location(self, code: int) -> Location | None:
        row = self.db.execute(
            "SELECT archive_file, archive_offset, revision FROM codes"
            " WHERE code = ? AND state = 'archived'",
            (code,),
        ).fetchone()
        return Location(code, row[2] or 1, row[0], row[1]) if row else None

    def state_of(self, code: int) -> str | None:
        row = self.db.execute("SELECT state FROM codes WHERE code = ?", (code,)).fetchone()
        return row[0] if row else None

    def current(self, code: int) -> dict[str, Any] | None:
        """The current revision of a story, or None if it is not archived."""
        where = "nowhere"
        for _ in range(_READ_ATTEMPTS):
            location = self.current_location(code)
            if location is None:
                return None
            record = _read_line(self.directory, location.archive_file, location.offset)
            if _matches(record, location):
                return record
            where = f"{location.archive_file}@{location.offset}"
        raise RecordMissing(
            f"the ledger says story {code} is at {where}, but that line is not there"
            " (run scrapy archive-verify)"
        )

    def revisions(self, code: int) -> list[dict[str, Any]]:
        """Every archived revision of a story, oldest first."""
        if self.current_location(code) is None:
            return []
        for _ in range(_READ_ATTEMPTS):
            self.catch_up()
            locations = [
                Location(code, revision, name, offset)
                for revision, name, offset in self.db.execute(
                    "SELECT revision, archive_file, archive_offset FROM revisions"
                    " WHERE code = ? ORDER BY revision, archive_file, archive_offset",
                    (code,),
                )
            ]
            records = self._read_all(locations)
            if records is not None and locations:
                return records
            # The index disagrees with the files (lines moved or repaired):
            # index those files again from their start.
            for name in {loc.archive_file for loc in locations}:
                self._drop_file(name)
        raise RecordMissing(f"the revisions of story {code} cannot be found (run archive-verify)")

    def _read_all(self, locations: list[Location]) -> list[dict[str, Any]] | None:
        """The records at these locations, or None if any is not there."""
        records = []
        for location in locations:
            record = _read_line(self.directory, location.archive_file, location.offset)
            if record is None or not _matches(record, location):
                return None
            records.append(record)
        return records

    # -- selections ---------------------------------------------------------

    def select(
        self,
        *,
        codes: CodeSet | None = None,
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        all_revisions: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Records of the archived stories chosen, by code; with
        ``all_revisions`` every revision, oldest first, else the current one.

        ``since`` and ``until`` are dates (``YYYY-MM-DD``, both included) in
        the story's own time zone, as its ``published_at`` shows them; a
        story is chosen by its current revision's date and source.
        """
        if source is not None or all_revisions:
            self.catch_up_fully()
        for low, high in codes.ranges if codes else ((1, MAX_CODE),):
            yield from self._select_range(low, high, since, until, source, all_revisions)

    def _select_range(
        self,
        low: int,
        high: int,
        since: str | None,
        until: str | None,
        source: str | None,
        all_revisions: bool,
    ) -> Iterator[dict[str, Any]]:
        where = ["c.state = 'archived'", "c.code BETWEEN ? AND ?"]
        params: list[Any] = [low, high]
        if since:
            where.append("c.published_at >= ?")
            params.append(since)
        if until:
            # Dates compare as the prefix of the ISO string: anything on
            # ``until`` sorts before ``until`` followed by a later character.
            where.append("c.published_at < ?")
            params.append(until + "\uffff")
        join = ""
        if source is not None:
            join = (
                " JOIN revisions s ON s.archive_file = c.archive_file"
                " AND s.archive_offset = c.archive_offset"
            )
            where.append("s.source = ?")
            params.append(source)
        if all_revisions:
            query = (
                "SELECT r.code, r.revision, r.archive_file, r.archive_offset FROM codes c"
                f"{join} JOIN revisions r ON r.code = c.code WHERE {' AND '.join(where)}"
                " ORDER BY r.code, r.revision, r.archive_file, r.archive_offset"
            )
        else:
            query = (
                f"SELECT c.code, c.revision, c.archive_file, c.archive_offset FROM codes c{join}"
                f" WHERE {' AND '.join(where)} ORDER BY c.code"
            )
        # Materialized: reading records while a cursor is open would keep a
        # read transaction open (and the index's writes waiting).
        chosen = [
            Location(code, revision or 1, name, offset)
            for code, revision, name, offset in self.db.execute(query, params)
        ]
        for code, group in groupby(chosen, key=attrgetter("code")):
            locations = list(group)
            records = self._read_all(locations)
            if records is None:
                # Moved by a compaction since the query: look it up again.
                current = None if all_revisions else self.current(code)
                records = self.revisions(code) if all_revisions else [current] if current else []
            yield from records
