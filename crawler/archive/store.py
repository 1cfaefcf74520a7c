"""The archive store: one directory, one run at a time.

It holds what must outlive a run (the lock, the ledger, the run's JSON Lines
file, the start-up repair) and nothing about the run's progress, which is the
run's accounting (``crawler.extensions.run``). Every write keeps one order: a
record reaches its file before the ledger calls its code archived.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from crawler.archive.lock import LockHeld, RunLock
from crawler.archive.repair import RepairReport, repair
from crawler.archive.writer import ArchiveWriter
from crawler.errors import ArchiveLocked, StorageError
from crawler.ledger import ArchivedLine, LedgerDamaged, SQLiteLedger, State
from crawler.lockwait import acquire_lock

logger = logging.getLogger(__name__)


# What a run writes besides its own new files: found read-only, the run
# would fetch pages and then fail on its first write.
RUN_WRITES = (
    SQLiteLedger.FILENAME,
    SQLiteLedger.FILENAME + "-wal",
    SQLiteLedger.FILENAME + "-shm",
    "runs",
    "warc",
)


def not_writable(directory: Path) -> list[str]:
    """Those of ``RUN_WRITES`` that exist in ``directory`` and this user may
    not write (a copy made by another user, a ``chmod -R a-w``)."""
    return [
        name
        for name in RUN_WRITES
        if (path := directory / name).exists()
        and not os.access(path, os.W_OK | (os.X_OK if path.is_dir() else 0))
    ]


class ArchiveStore:
    """Opened by the run at start (lock, ledger, repair), closed at its end."""

    def __init__(
        self, directory: Path, run_id: str, fsync_interval: float = 1.0, lock_wait: float = 0.0
    ):
        self.directory = directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self.lock = RunLock(directory)
            acquire_lock(self.lock, lock_wait)
        except LockHeld as exc:
            raise ArchiveLocked(str(exc)) from None
        except OSError as exc:
            raise StorageError(f"cannot use archive directory {directory}: {exc}") from exc
        if unwritable := not_writable(directory):
            self.lock.release()
            raise StorageError(
                f"cannot write the archive in {directory}: {', '.join(unwritable)}"
                " cannot be written by this user"
            )
        try:
            self.ledger = SQLiteLedger.in_directory(directory)
            self.repair_report: RepairReport = repair(directory, self.ledger)
        except LedgerDamaged:
            self.lock.release()
            raise  # its message already says how to rebuild the ledger
        except Exception as exc:
            self.lock.release()
            raise StorageError(f"cannot open the archive in {directory}: {exc}") from exc
        self.writer = ArchiveWriter(directory, run_id, fsync_interval)

    @property
    def file_name(self) -> str | None:
        """The run's archive file, once a record was written to it."""
        return self.writer.name if self.writer.path.exists() else None

    def append(self, item: Any, code: int, sha256: str, published_at: str | None, revision: int):
        """Write the record, then record it as archived."""
        offset, end, crc = self.writer.append(item)
        self.ledger.record_archived(
            ArchivedLine(code, sha256, self.writer.name, offset, end, published_at, revision, crc)
        )

    def record(
        self, code: int, state: State, *, detail: str | None = None, ref_code: int | None = None
    ) -> None:
        self.ledger.record(code, state, detail=detail, ref_code=ref_code)

    def sync(self) -> str | None:
        """Make what the run wrote durable, lines before the ledger's last
        transaction; a storage problem is returned, not raised."""
        try:
            self.writer.sync()
        except OSError as exc:
            return f"cannot write {self.writer.path}: {exc}"
        try:
            self.ledger.commit()
        except (sqlite3.Error, LedgerDamaged) as exc:
            return self.ledger.problem("cannot commit the ledger", exc)
        return None

    def close(self) -> str | None:
        """Flush and release everything; a storage problem is returned, not raised,
        so the lock is always released."""
        problem = None
        try:
            self.writer.close()
        except OSError as exc:
            problem = f"cannot close {self.writer.path}: {exc}"
        try:
            self.ledger.close()
        except (sqlite3.Error, LedgerDamaged) as exc:
            # The lines are in the files: the next start's repair adopts them.
            problem = problem or self.ledger.problem("cannot commit the ledger", exc)
        finally:
            self.lock.release()
        return problem
