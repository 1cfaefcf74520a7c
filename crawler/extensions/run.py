"""The run contract: one run per archive directory, every asked code settled
in the ledger, a summary and an exit status that tell cron the truth.

Spiders and pipelines reach the run through ``crawler.get_extension(ArchiveRun)``.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import signal
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

from crawler.archive.lock import LockHeld, RunLock
from crawler.archive.repair import RepairReport, repair
from crawler.archive.writer import ArchiveWriter
from crawler.clean.dates import utc_now_iso
from crawler.errors import ArchiveLocked, ExitCode, StorageError
from crawler.extensions.status import EXPLANATIONS, RunOutcome, decide_exit_status
from crawler.extensions.summary import human_summary, write_summary
from crawler.ledger import ArchivedLine, Ledger, SQLiteLedger, State
from crawler.warc.capture import capture_outcome  # issue 8: WARC before ledger

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# At most this many failed codes are listed by number in a run's summary.
LISTED_FAILURES = 100


def new_run_id(now: datetime | None = None) -> str:
    """Sortable (archive files list in run order) and unique: UTC start time to
    the microsecond, plus random bits.

    >>> new_run_id(datetime(2026, 11, 28, 4, 2, 32, 5, tzinfo=UTC))[:24]
    '20261128T040232.000005Z-'
    """
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(3)}"


class ArchiveRun:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not getattr(crawler.spider, "archives_stories", False):
            # scrapy shell, fetch, parse, bench...: no archive, no lock.
            raise NotConfigured("not a story spider")
        self.crawler = crawler
        self.stats = crawler.stats
        self.directory = Path(settings.get("ARCHIVE_DIR", "archive"))
        self.failed_max_ratio = settings.getfloat("ARCHIVE_FAILED_MAX_RATIO")
        self.stop_timeout = settings.getfloat("ARCHIVE_STOP_TIMEOUT")
        self.run_id = new_run_id()
        self.started_at = utc_now_iso()
        self.outcomes: dict[int, State] = {}
        self.failures: dict[int, str] = {}
        self.asked = 0
        self.pending: set[int] = set()
        self.answered = 0
        self.listings_failed = 0
        self.storage_error: str | None = None
        self.interrupted = False
        self.finished = False
        self.exit_status: ExitCode | None = None
        self.arguments: dict[str, Any] = {}

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.lock = RunLock(self.directory)
            self.lock.acquire()
        except LockHeld as exc:
            raise ArchiveLocked(str(exc)) from None
        except OSError as exc:
            raise StorageError(f"cannot use archive directory {self.directory}: {exc}") from exc
        try:
            self.ledger: Ledger = SQLiteLedger.in_directory(self.directory)
            self.repair_report = repair(self.directory, self.ledger)
        except Exception as exc:
            self.lock.release()
            raise StorageError(f"cannot open the archive in {self.directory}: {exc}") from exc
        self._report_repair(self.repair_report)
        self.writer = ArchiveWriter(
            self.directory, self.run_id, settings.getfloat("ARCHIVE_FSYNC_INTERVAL")
        )
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveRun:
        return cls(crawler)

    @classmethod
    def of(cls, crawler: Crawler, needed_by: str) -> ArchiveRun:
        """The crawl's run, for components that cannot work without it."""
        run = crawler.get_extension(cls)
        if run is None:
            raise NotConfigured(f"{needed_by} needs the ArchiveRun extension and its ledger")
        return run

    def _report_repair(self, report: RepairReport) -> None:
        self.stats.set_value("archive/repair/adopted", report.adopted)
        self.stats.set_value("archive/repair/torn", len(report.torn))
        self.stats.set_value("archive/repair/forgotten", len(report.forgotten))
        if not report.clean:
            logger.warning("Archive repaired at start: %s", report.describe())

    # -- what spiders and pipelines call --------------------------------------

    def plan(self, count: int) -> None:
        """``count`` more codes are to be settled by this run."""
        self.asked += count
        self.stats.inc_value("archive/codes/asked", count)

    def requested(self, code: int) -> None:
        """A request for ``code`` is on its way; it is unfinished until settled."""
        self.pending.add(code)
        self.stats.inc_value("archive/codes/requested")

    def skip(self, state: State) -> None:
        """A code the ledger already settled: not requested."""
        self.stats.inc_value(f"archive/codes/skipped/{state.value}")

    def settle(
        self, code: int, state: State, *, detail: str | None = None, ref_code: int | None = None
    ) -> None:
        """Record a code's outcome (anything but a new record)."""
        if not capture_outcome(self.crawler, code, state.value, detail, ref_code):  # issue 8
            return
        try:
            self.ledger.record(code, state, detail=detail, ref_code=ref_code)
        except sqlite3.Error as exc:
            self._storage_failed(f"cannot write the ledger: {exc}")
            return
        self._count_outcome(code, state)
        if state is State.FAILED:
            self.failures[code] = detail or "unknown"
            logger.warning("Story %s failed: %s", code, detail)

    def archive(self, item: Any, code: int, sha256: str, published_at: str | None, revision: int):
        """Write a record, then record it as archived: a code is never marked
        archived without its line."""
        if self.storage_error:
            raise StorageError(self.storage_error)
        if not capture_outcome(self.crawler, code, State.ARCHIVED.value, None, None):  # issue 8
            raise StorageError(self.storage_error or "cannot write the WARC file")
        try:
            offset, end = self.writer.append(item)
        except OSError as exc:
            raise self._storage_failed(f"cannot write {self.writer.path}: {exc}") from exc
        try:
            self.ledger.record_archived(
                ArchivedLine(code, sha256, self.writer.name, offset, end, published_at, revision)
            )
        except sqlite3.Error as exc:
            # The line is in the file: the next start's repair adopts it.
            raise self._storage_failed(f"cannot write the ledger: {exc}") from exc
        self._count_outcome(code, State.ARCHIVED)
        self.stats.inc_value("archive/records/written")

    def _storage_failed(self, message: str) -> StorageError:
        """Stop the run: nothing more can be archived safely."""
        if self.storage_error is None:
            self.storage_error = message
            logger.error("Stopping: %s", message)
            deferred_from_coro(
                self.crawler.engine.close_spider_async(reason="archive_storage_error")
            )
        return StorageError(self.storage_error)

    def unchanged(self, code: int) -> None:
        """A refreshed story whose content did not change: nothing written."""
        self.stats.inc_value("archive/records/unchanged")
        capture_outcome(self.crawler, code, State.ARCHIVED.value, "unchanged", None)  # issue 8
        self._count_outcome(code, State.ARCHIVED)

    def listing_failed(self) -> None:
        """A discovery page (home page, feed) could not be had."""
        self.listings_failed += 1
        self.stats.inc_value("archive/discovery/failed")

    def settled_this_run(self, code: int) -> State | None:
        return self.outcomes.get(code)

    def _count_outcome(self, code: int, state: State) -> None:
        self.pending.discard(code)
        if code not in self.outcomes:
            self.stats.inc_value("archive/codes/done")
        elif self.outcomes[code] is not state:
            self.stats.inc_value(f"archive/state/{self.outcomes[code].value}", -1)
        self.outcomes[code] = state
        self.stats.inc_value(f"archive/state/{state.value}")

    # -- signals ---------------------------------------------------------------

    def response_received(self, response: Any, request: Any, spider: Spider) -> None:
        # robots.txt answering says nothing about whether stories can be had.
        if not ("code" in request.meta or request.meta.get("listing")):
            return
        if response.status < 400 or response.status in (404, 410):
            self.answered += 1

    def engine_started(self) -> None:
        self.arguments = dict(getattr(self.crawler.spider, "run_arguments", {}))
        self._watch_shutdown_signals()

    def _watch_shutdown_signals(self) -> None:
        """Note the first SIGTERM/SIGINT, then let Scrapy's handler stop the
        crawl gracefully; in-flight work gets ARCHIVE_STOP_TIMEOUT seconds."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(signum)
            if not callable(previous):
                continue

            def on_signal(num: int, frame: Any, previous: Any = previous) -> None:
                self._on_shutdown_signal()
                previous(num, frame)

            signal.signal(signum, on_signal)

    def _on_shutdown_signal(self) -> None:
        if self.interrupted:
            return
        self.interrupted = True
        from twisted.internet import reactor

        reactor.callFromThread(reactor.callLater, self.stop_timeout, self._abandon)

    def _abandon(self) -> None:
        from twisted.internet import reactor

        if self.finished:
            return
        logger.warning("In-flight requests abandoned after %.0f s", self.stop_timeout)
        self.finalize("shutdown")
        with contextlib.suppress(RuntimeError):
            reactor.stop()  # type: ignore[misc]  # Twisted's reactor is untyped here

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.finalize(reason)

    # -- the end ---------------------------------------------------------------

    def finalize(self, reason: str | None) -> ExitCode:
        """Close the archive, write the summary, release the lock. Idempotent:
        also called by the crawl command when the reactor was stopped early."""
        if self.finished:
            assert self.exit_status is not None
            return self.exit_status
        self.finished = True
        if reason == "finished":
            # A request Scrapy dropped without an answer must not leave its
            # code in no state at all.
            for code in sorted(self.pending):
                self.settle(code, State.FAILED, detail="no answer: the request was dropped")
        try:
            self.writer.close()
        except OSError as exc:
            self.storage_error = self.storage_error or f"cannot close {self.writer.path}: {exc}"
        counts = Counter(state.value for state in self.outcomes.values())
        self.exit_status = decide_exit_status(
            RunOutcome(
                finish_reason=reason,
                interrupted=self.interrupted,
                storage_error=self.storage_error,
                outcomes=dict(counts),
                asked=self.asked,
                answered=self.answered,
                listings_failed=self.listings_failed,
                failed_max_ratio=self.failed_max_ratio,
            )
        )
        self.stats.set_value("archive/exit_status", int(self.exit_status))
        summary = self._summary(reason, counts)
        try:
            write_summary(self.directory, self.run_id, summary)
            self.ledger.record_run(self.run_id, summary)
        except (OSError, sqlite3.Error) as exc:
            logger.error("Could not write the run summary: %s", exc)
        finally:
            self.ledger.close()
            self.lock.release()
        logger.info("%s", human_summary(summary))
        return self.exit_status

    def _summary(self, reason: str | None, counts: Counter[str]) -> dict[str, Any]:
        assert self.exit_status is not None
        spider = self.crawler.spider
        return {
            "run_id": self.run_id,
            "spider": spider.name if spider else None,
            "arguments": self.arguments,
            "started_at": self.started_at,
            "finished_at": utc_now_iso(),
            "finish_reason": reason,
            "exit_status": int(self.exit_status),
            "exit_meaning": EXPLANATIONS[self.exit_status],
            "codes_asked": self.asked,
            "codes_settled": len(self.outcomes),
            "codes_unfinished": len(self.pending),
            "counts": {state.value: counts.get(state.value, 0) for state in State},
            "skipped": {
                key.rsplit("/", 1)[1]: value
                for key, value in self.stats.get_stats().items()
                if key.startswith("archive/codes/skipped/")
            },
            "new_records": self.stats.get_value("archive/records/written", 0),
            "revisions": self.stats.get_value("archive/records/revisions", 0),
            "unchanged": self.stats.get_value("archive/records/unchanged", 0),
            "archive_file": self.writer.name if self.writer.path.exists() else None,
            "failed": [
                {"code": code, "reason": why}
                for code, why in list(self.failures.items())[:LISTED_FAILURES]
            ],
            "storage_error": self.storage_error,
            "repair": self.repair_report.describe(),
        }
