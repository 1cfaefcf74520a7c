"""The capture index: two small tables of this package's own in the ledger's
SQLite file (the ledger's schema is not touched).

``warc_payloads`` finds the first capture of a payload by its digest, so a
re-fetched identical page becomes a ``revisit`` record; ``warc_captures`` says
where each code's capture ends, so a start-up repair that cuts a file short
knows which codes lost theirs. Rows wait in memory and are committed together
by :meth:`WarcIndex.flush`, always after the records they point at were
written, so a row never points past what the file held. The capture commits
them when it settles a code, before the ledger records the code's outcome:
a reboot that keeps the outcome keeps the row that tells whether its capture
survived. A payload row lost with a killed process costs at most one full
record where a revisit would have done.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from crawler.ledger import SQLiteLedger
from crawler.ledger.sqlite import open_read_only

SCHEMA = """
CREATE TABLE IF NOT EXISTS warc_payloads (
    digest TEXT PRIMARY KEY,
    record_id TEXT NOT NULL,
    target_uri TEXT NOT NULL,
    warc_date TEXT NOT NULL,
    warc_file TEXT NOT NULL,
    record_end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS warc_payloads_by_file ON warc_payloads (warc_file, record_end);
CREATE TABLE IF NOT EXISTS warc_captures (
    code INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    state TEXT NOT NULL,
    warc_file TEXT NOT NULL,
    record_end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS warc_captures_by_file ON warc_captures (warc_file, record_end);
-- The response records a vanished WARC file held: a revisit that refers to
-- one of them lost its payload with the file, which a repair acknowledged.
CREATE TABLE IF NOT EXISTS warc_lost (
    record_id TEXT PRIMARY KEY,
    warc_file TEXT NOT NULL
);
-- Codes whose capture was lost, to be captured again; a warc_captures row
-- after ``since`` is the new capture.
CREATE TABLE IF NOT EXISTS warc_recapture (
    code INTEGER PRIMARY KEY,
    since INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Original:
    """The first full capture of a payload, as a ``revisit`` record refers to it."""

    record_id: str
    target_uri: str
    warc_date: str


class WarcIndex:
    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self._db.executescript(SCHEMA)
        # Rows not yet committed, in the order their records were written.
        self._payloads: dict[str, tuple[str, str, str, str, str, int]] = {}
        self._captures: list[tuple[int, str, str, str, int]] = []

    @classmethod
    def on_ledger(cls, ledger: SQLiteLedger) -> WarcIndex:
        """On the ledger's connection: a crawl's index rows are committed with
        the ledger's (one transaction per tick), never waiting for its lock."""
        return cls(ledger.connection)

    def close(self) -> None:
        """Commit the rows waiting; the connection stays the ledger's."""
        self.flush()

    def original(self, digest: str) -> Original | None:
        pending = self._payloads.get(digest)
        if pending is not None:
            return Original(*pending[1:4])
        row = self._db.execute(
            "SELECT record_id, target_uri, warc_date FROM warc_payloads WHERE digest = ?",
            (digest,),
        ).fetchone()
        return Original(*row) if row else None

    def add_payload(self, digest: str, original: Original, warc_file: str, record_end: int) -> None:
        """Remember the first capture of a payload (committed by :meth:`flush`)."""
        self._payloads.setdefault(
            digest,
            (digest, original.record_id, original.target_uri, original.warc_date, warc_file,
             record_end),
        )  # fmt: skip

    def add_capture(
        self, code: int, run_id: str, state: str, warc_file: str, record_end: int
    ) -> None:
        """Remember where a code's capture ends (committed by :meth:`flush`)."""
        self._captures.append((code, run_id, state, warc_file, record_end))

    def flush(self) -> None:
        """Write the rows added since the last flush: in one transaction of
        their own, or, on a crawl's ledger connection, in the ledger's held
        transaction, with the outcomes they go with (see ``on_ledger``)."""
        if not (self._payloads or self._captures):
            return
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO warc_payloads VALUES (?, ?, ?, ?, ?, ?)",
                self._payloads.values(),
            )
            self._db.executemany("INSERT INTO warc_captures VALUES (?, ?, ?, ?, ?)", self._captures)
        self._payloads.clear()
        self._captures.clear()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._db.in_transaction:
            yield  # the ledger's held transaction: it commits or rolls back
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def known_ends(self) -> dict[str, int]:
        """Per file, the end of the last record a row points at: the file was
        whole up to there when the row was committed."""
        self.flush()
        rows = self._db.execute(
            "SELECT warc_file, MAX(record_end) FROM ("
            " SELECT warc_file, record_end FROM warc_payloads"
            " UNION ALL SELECT warc_file, record_end FROM warc_captures)"
            " GROUP BY warc_file"
        )
        return dict(rows)

    def drop_after(self, warc_file: str, size: int) -> list[int]:
        """Forget what lay past ``size`` in a file (a torn tail, a damaged
        part cut off, a file gone); return the codes whose capture was
        there. Its response records are noted as lost: a revisit of one is
        then no problem, and the next capture of its payload is a full one."""
        self.flush()
        with self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO warc_lost SELECT record_id, warc_file FROM warc_payloads"
                " WHERE warc_file = ? AND record_end > ?",
                (warc_file, size),
            )
            codes = sorted(
                {
                    code
                    for (code,) in self._db.execute(
                        "SELECT code FROM warc_captures WHERE warc_file = ? AND record_end > ?",
                        (warc_file, size),
                    )
                }
            )
            for table in ("warc_captures", "warc_payloads"):
                self._db.execute(
                    f"DELETE FROM {table} WHERE warc_file = ? AND record_end > ?",
                    (warc_file, size),
                )
        return codes

    def is_empty(self) -> bool:
        self.flush()
        return self._db.execute("SELECT 1 FROM warc_captures LIMIT 1").fetchone() is None

    def lose_file(self, warc_file: str) -> list[int]:
        """A WARC file that vanished: everything it held is forgotten (see
        :meth:`drop_after`); return the codes it captured."""
        return self.drop_after(warc_file, 0)

    def await_recapture(self, codes: list[int]) -> None:
        """Codes whose capture was lost: :meth:`recaptured` tells when a run
        has captured them again."""
        self.flush()
        (since,) = self._db.execute("SELECT IFNULL(MAX(rowid), 0) FROM warc_captures").fetchone()
        self._db.executemany(
            "INSERT OR REPLACE INTO warc_recapture (code, since) VALUES (?, ?)",
            [(code, since) for code in codes],
        )

    def recaptured(self) -> list[int]:
        """The awaited codes that a run has captured since (with any answer
        but a failure); they stay awaited until :meth:`no_longer_awaited`.
        The others are from then on checked against later captures only, so
        each call reads only what was captured since the one before."""
        self.flush()
        if self._db.execute("SELECT 1 FROM warc_recapture LIMIT 1").fetchone() is None:
            return []  # nothing awaited: the usual case, one look-up
        with self._transaction():
            (last,) = self._db.execute("SELECT IFNULL(MAX(rowid), 0) FROM warc_captures").fetchone()
            found = self._db.execute(
                "SELECT DISTINCT r.code, r.since FROM warc_captures c JOIN warc_recapture r"
                " ON r.code = c.code AND c.rowid > r.since"
                " WHERE c.rowid > (SELECT MIN(since) FROM warc_recapture)"
                " AND c.state != 'failed' ORDER BY r.code"
            ).fetchall()
            self._db.execute("UPDATE warc_recapture SET since = ?", (last,))
            self._db.executemany(
                "UPDATE warc_recapture SET since = ? WHERE code = ?",
                [(since, code) for code, since in found],
            )
        return [code for code, _ in found]

    def no_longer_awaited(self, codes: list[int]) -> None:
        self._db.executemany("DELETE FROM warc_recapture WHERE code = ?", [(c,) for c in codes])


def lost_records(archive_dir: Path) -> frozenset[str]:
    """The record ids :meth:`WarcIndex.lose_file` noted, read without writing."""
    path = Path(archive_dir) / SQLiteLedger.FILENAME
    if not path.exists():
        return frozenset()
    db = open_read_only(path)
    try:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'warc_lost'").fetchone():
            return frozenset()
        return frozenset(
            record_id for (record_id,) in db.execute("SELECT record_id FROM warc_lost")
        )
    finally:
        db.close()


def ever_captured(ledger: SQLiteLedger, codes: Collection[int]) -> set[int]:
    """Those of ``codes`` a capture was ever recorded for: one pass over the
    capture rows, holding only ``codes`` (few, or the stories archived
    before capture was on)."""
    if not codes:
        return set()
    db = ledger.connection
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'warc_captures'").fetchone():
        return set()
    wanted = set(codes)
    return {code for (code,) in db.execute("SELECT code FROM warc_captures") if code in wanted}
