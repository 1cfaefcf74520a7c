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

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from crawler.ledger import SQLiteLedger

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
"""


@dataclass(frozen=True)
class Original:
    """The first full capture of a payload, as a ``revisit`` record refers to it."""

    record_id: str
    target_uri: str
    warc_date: str


class WarcIndex:
    def __init__(self, path: str | Path):
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        # Rows not yet committed, in the order their records were written.
        self._payloads: dict[str, tuple[str, str, str, str, str, int]] = {}
        self._captures: list[tuple[int, str, str, str, int]] = []

    @classmethod
    def in_directory(cls, archive_dir: str | Path) -> WarcIndex:
        return cls(Path(archive_dir) / SQLiteLedger.FILENAME)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._db.close()

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
        """Commit the rows added since the last flush, in one transaction."""
        if not (self._payloads or self._captures):
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT OR IGNORE INTO warc_payloads VALUES (?, ?, ?, ?, ?, ?)",
                self._payloads.values(),
            )
            self._db.executemany("INSERT INTO warc_captures VALUES (?, ?, ?, ?, ?)", self._captures)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._payloads.clear()
        self._captures.clear()

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
        """Forget what lay past ``size`` in a file; return the codes whose
        capture was there."""
        self.flush()
        self._db.execute("BEGIN IMMEDIATE")
        try:
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
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return codes

    def is_empty(self) -> bool:
        self.flush()
        return self._db.execute("SELECT 1 FROM warc_captures LIMIT 1").fetchone() is None

    def forget_codes(self, codes: list[int]) -> list[int]:
        """Make the ledger forget codes whose capture is gone, so the next run
        fetches them again; return those it kept because they are archived.

        An archived code keeps its state: its line is in the JSON Lines file,
        and forgetting it would archive it a second time. The lead's store is
        to do this through its own API; until then this is the one place that
        touches the ledger's ``codes`` table.
        """
        kept = [
            code
            for code in codes
            if self._db.execute(
                "SELECT 1 FROM codes WHERE code = ? AND state = 'archived'", (code,)
            ).fetchone()
        ]
        self._db.executemany(
            "DELETE FROM codes WHERE code = ? AND state != 'archived'", [(c,) for c in codes]
        )
        return kept
