"""Compaction: the files of finished runs merged into one file per month.

Hourly runs leave thousands of ``stories-<run id>.jsonl`` files a year. A
compaction copies them, byte for byte and in run order, into
``stories-YYYY-MM.jsonl``, the month being the one each run *started* in (UTC,
read from the run id in the file name): a run's records stay together, and the
name says which runs a file holds. A month already compacted is rewritten with
its new runs appended, never appended to in place.

Nothing may be lost or doubled if the process dies at any moment, so each
month goes through states that are each consistent on their own:

1. the new file is written under a temporary name that start-up repair and
   verify never look at (``.stories-YYYY-MM.jsonl.compacting``), then fsynced;
2. one ledger transaction moves every code, revision and committed size from
   the old files to the new one, and records the move in ``compactions``;
3. the temporary file is renamed into place (fsync of the directory);
4. the old files are removed (fsync), and the ``compactions`` row deleted.

Killed before 2 commits: the old files and the ledger are untouched; the
temporary file is removed by the next compaction. Killed after 2: the ledger
already points at the new file, and whoever takes the archive lock next calls
:func:`finish_interrupted` before looking at the files (start-up repair,
``archive-verify``, ``archive-compact``), which completes 3 and 4 from the
``compactions`` row. Readers, which take no lock, find a moved line under the
temporary name (see ``crawler.archive.read``).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from crawler.archive.read import compacting_name, connect
from crawler.archive.writer import ARCHIVE_GLOB, fsync_directory
from crawler.errors import StorageError
from crawler.ledger import SQLiteLedger
from crawler.ledger.sqlite import header_damaged, open_read_only

JOURNAL_SCHEMA = """
CREATE TABLE IF NOT EXISTS compactions (
    target TEXT PRIMARY KEY,
    sources TEXT NOT NULL
);
"""

_RUN_FILE = re.compile(r"stories-(?P<year>\d{4})(?P<month>\d{2})\d{2}T[^/]*\.jsonl")
_COPY_CHUNK = 1 << 20


def month_of(name: str) -> str | None:
    """The month a run file belongs in (its run's start, UTC), or None for a
    file that is not one run's (a month file).

    >>> month_of("stories-20261128T040232.118337Z-1a2b3c.jsonl")
    '2026-11'
    >>> month_of("stories-2026-11.jsonl") is None
    True
    """
    match = _RUN_FILE.fullmatch(name)
    return f"{match['year']}-{match['month']}" if match else None


def month_file(month: str) -> str:
    """
    >>> month_file("2026-11")
    'stories-2026-11.jsonl'
    """
    return f"stories-{month}.jsonl"


@dataclass(frozen=True)
class MonthPlan:
    """One month's new file: its sources in order, each from offset ``base``."""

    target: str
    sources: tuple[tuple[str, int], ...]  # (name, committed size)

    @property
    def size(self) -> int:
        return sum(size for _, size in self.sources)

    def bases(self) -> Iterator[tuple[str, int]]:
        base = 0
        for name, size in self.sources:
            yield name, base
            base += size


@dataclass
class CompactionReport:
    months: list[str] = field(default_factory=list)
    files_merged: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)  # files left alone, and why
    finished: list[str] = field(default_factory=list)  # interrupted compactions completed

    def describe(self) -> str:
        if not self.months:
            text = "nothing to compact"
        else:
            text = (
                f"{self.files_merged} run file(s) merged into {len(self.months)} month file(s)"
                f" ({', '.join(month_file(m) for m in self.months)}), {self.bytes} bytes"
            )
        return "; ".join([text, *self.finished, *self.skipped])


def plan(directory: Path, committed: dict[str, int]) -> tuple[list[MonthPlan], list[str]]:
    """What to merge: per month, the month file (if any) then its run files
    in run order. A file whose size differs from what the ledger committed
    is left alone (start-up repair must settle it first)."""
    by_month: dict[str, list[str]] = {}
    skipped: list[str] = []
    for path in sorted(directory.glob(ARCHIVE_GLOB)):
        month = month_of(path.name)
        if month is None:
            continue
        size = path.stat().st_size
        if size != committed.get(path.name, 0):
            skipped.append(
                f"{path.name} left alone: {size} bytes, the ledger committed"
                f" {committed.get(path.name, 0)} (run scrapy archive-verify)"
            )
            continue
        by_month.setdefault(month, []).append(path.name)
    plans = []
    for month, names in sorted(by_month.items()):
        target = month_file(month)
        sources = [(name, committed.get(name, 0)) for name in names]
        if (directory / target).exists():
            if (directory / target).stat().st_size != committed.get(target, 0):
                skipped.append(f"{month}: {target} does not match the ledger, month left alone")
                continue
            sources.insert(0, (target, committed[target]))
        plans.append(MonthPlan(target, tuple(sources)))
    return plans, skipped


def write_month(directory: Path, month: MonthPlan) -> Path:
    """State 1: the new file, complete and on disk, under its temporary name."""
    temporary = directory / compacting_name(month.target)
    with temporary.open("wb") as out:
        for name, size in month.sources:
            with (directory / name).open("rb") as source:
                left = size
                while left:
                    chunk = source.read(min(left, _COPY_CHUNK))
                    if not chunk:
                        raise OSError(f"{name} is shorter than the {size} bytes committed")
                    out.write(chunk)
                    left -= len(chunk)
        out.flush()
        os.fsync(out.fileno())
    fsync_directory(directory)
    return temporary


def switch_ledger(db: sqlite3.Connection, month: MonthPlan) -> None:
    """State 2: in one transaction, every code, revision and committed size
    moves to the new file, and the move is journalled."""
    names = [name for name, _ in month.sources]
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(
            "INSERT INTO compactions (target, sources) VALUES (?, ?)",
            (month.target, json.dumps(names)),
        )
        db.execute("CREATE TEMP TABLE IF NOT EXISTS moving (name TEXT PRIMARY KEY, base INTEGER)")
        db.execute("DELETE FROM moving")
        db.executemany("INSERT INTO moving VALUES (?, ?)", month.bases())
        for table, offset in (("codes", "archive_offset"), ("revisions", "archive_offset")):
            db.execute(
                f"UPDATE {table} SET {offset} = {offset} +"
                f" (SELECT base FROM moving WHERE name = {table}.archive_file),"
                " archive_file = ? WHERE archive_file IN (SELECT name FROM moving)",
                (month.target,),
            )
        indexed = dict(
            db.execute(
                "SELECT name, size FROM revisions_indexed WHERE name IN (SELECT name FROM moving)"
            )
        )
        db.execute("DELETE FROM revisions_indexed WHERE name IN (SELECT name FROM moving)")
        if all(indexed.get(name) == size for name, size in month.sources):
            db.execute(
                "INSERT INTO revisions_indexed (name, size) VALUES (?, ?)",
                (month.target, month.size),
            )
        else:
            # Partly indexed sources: the index reads the new file afresh.
            db.execute("DELETE FROM revisions WHERE archive_file = ?", (month.target,))
        db.execute("DELETE FROM archive_files WHERE name IN (SELECT name FROM moving)")
        db.execute(
            "INSERT INTO archive_files (name, committed_size) VALUES (?, ?)",
            (month.target, month.size),
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def put_in_place(directory: Path, target: str) -> None:
    """State 3: the new file under its own name (replacing the month file it
    was built from, if any)."""
    temporary = directory / compacting_name(target)
    if temporary.exists():
        temporary.replace(directory / target)
        fsync_directory(directory)


def remove_sources(directory: Path, target: str, sources: list[str]) -> None:
    """State 4: the merged files gone."""
    for name in sources:
        if name != target:
            (directory / name).unlink(missing_ok=True)
    fsync_directory(directory)


def finish_month(directory: Path, db: sqlite3.Connection, target: str, sources: list[str]) -> None:
    """States 3 and 4, then the journal row deleted. Idempotent: safe to run
    again after a kill at any point."""
    put_in_place(directory, target)
    remove_sources(directory, target, sources)
    db.execute("DELETE FROM compactions WHERE target = ?", (target,))


def open_journal(directory: Path) -> sqlite3.Connection:
    db = connect(directory)
    db.executescript(JOURNAL_SCHEMA)
    return db


def finish_interrupted(directory: Path) -> list[str]:
    """Complete the compactions a kill interrupted after their ledger switch,
    and remove the temporary files of those interrupted before it. Call it
    holding the archive lock, before comparing files with the ledger. Writes
    nothing when there is nothing to do (one query, one directory listing).

    A missing or damaged ledger is left alone, never created or touched: it is
    the verifier's and the repair's to report and rebuild (and a rebuilt one
    holds no compaction journal: the files are then what they are)."""
    done: list[str] = []
    ledger = directory / SQLiteLedger.FILENAME
    if ledger.exists() and not header_damaged(ledger):
        db = sqlite3.connect(
            f"{ledger.absolute().as_uri()}?mode=rw", uri=True, isolation_level=None
        )
        try:
            db.execute("PRAGMA busy_timeout=10000")
            journalled = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'compactions'"
            ).fetchone()
            pending = (
                db.execute("SELECT target, sources FROM compactions").fetchall()
                if journalled
                else []
            )
            for target, sources in pending:
                finish_month(directory, db, target, json.loads(sources))
                done.append(f"an interrupted compaction into {target} completed")
        except sqlite3.DatabaseError:
            pass  # a damaged ledger: reported and rebuilt by archive-verify
        finally:
            db.close()
    for stale in directory.glob(compacting_name("stories-*.jsonl")):
        # No journal row: written, but never switched to.
        stale.unlink()
    return done


def interrupted(directory: Path) -> list[str]:
    """The month files of compactions a kill interrupted after their ledger
    switch, read from the journal without writing: for a command that cannot
    complete them. A missing or damaged ledger holds none."""
    ledger = directory / SQLiteLedger.FILENAME
    if not ledger.exists() or header_damaged(ledger):
        return []
    try:
        db = open_read_only(ledger)
    except (sqlite3.DatabaseError, StorageError):
        return []  # the verifier reports it
    try:
        journalled = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'compactions'"
        ).fetchone()
        return (
            [target for (target,) in db.execute("SELECT target FROM compactions")]
            if journalled
            else []
        )
    except sqlite3.DatabaseError:
        return []
    finally:
        db.close()


def compact(directory: Path) -> CompactionReport:
    """Merge run files into month files. The caller holds the archive lock
    and has run start-up repair, so every file matches the ledger."""
    report = CompactionReport(finished=finish_interrupted(directory))
    db = open_journal(directory)
    try:
        committed = dict(db.execute("SELECT name, committed_size FROM archive_files"))
        plans, report.skipped = plan(directory, committed)
        for month in plans:
            if len(month.sources) == 1 and month.sources[0][0] == month.target:
                continue  # already one file
            write_month(directory, month)
            switch_ledger(db, month)
            finish_month(directory, db, month.target, [name for name, _ in month.sources])
            report.months.append(month.target[len("stories-") : -len(".jsonl")])
            report.files_merged += sum(1 for name, _ in month.sources if name != month.target)
            report.bytes += month.size
    finally:
        db.close()
    return report
