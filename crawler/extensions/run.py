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
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from crawler.archive.repair import RepairReport
from crawler.archive.store import ArchiveStore
from crawler.clean.dates import utc_now_iso
from crawler.codes import CodeRanges
from crawler.errors import ExitCode, StorageError
from crawler.extensions.progress import codes_done, codes_total
from crawler.extensions.status import EXPLANATIONS, RunOutcome, decide_exit_status
from crawler.extensions.summary import human_summary
from crawler.items import fields_of
from crawler.ledger import LedgerDamaged, State
from crawler.ledger.rules import Decision, Observation, Verdict, transition
from crawler.logs import FailureLog
from crawler.middlewares.retry import BackoffRetryMiddleware
from crawler.runs import begin_run, finish_run_file
from crawler.units import parse_duration
from crawler.warc.capture import capture_outcome, sync_capture

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# At most this many failed (and blocked) codes are listed by number in a run's summary.
LISTED_FAILURES = 100
# Codes kept per kind of layout trouble, for the summary to name.
SAMPLE_CODES = 5


def new_run_id(now: datetime | None = None) -> str:
    """Sortable (archive files list in run order) and unique: UTC start time to
    the microsecond, plus random bits.

    >>> new_run_id(datetime(2026, 11, 28, 4, 2, 32, 5, tzinfo=UTC))[:24]
    '20261128T040232.000005Z-'
    """
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(3)}"


class ArchiveRun:
    """The run's accounting: which codes it set out to settle, what became of
    each (counted once per code, in Scrapy's stats), and its exit status.

    Memory stays flat in the size of the work: codes seen are kept as merged
    ranges, in-flight codes are bounded by concurrency, and only a sample of
    failed codes is kept for the summary.
    """

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not getattr(crawler.spider, "archives_stories", False):
            # scrapy shell, fetch, parse, bench...: no archive, no lock.
            raise NotConfigured("not a story spider")
        self.crawler = crawler
        self.stats = crawler.stats
        # Bound once: Scrapy's stats collector wraps each method it is asked
        # for, by name, on every call (several times a page here).
        self._inc_value = crawler.stats.inc_value
        self.directory = Path(settings.get("ARCHIVE_DIR", "archive"))
        self.failed_max_ratio = settings.getfloat("ARCHIVE_FAILED_MAX_RATIO")
        self.field_missing_max_ratio: dict[str, float] = {
            name: float(ratio)
            for name, ratio in settings.getdict("ARCHIVE_FIELD_MISSING_MAX_RATIO").items()
        }
        self.stop_timeout = settings.getfloat("ARCHIVE_STOP_TIMEOUT")
        self.run_id = new_run_id()
        self.started_at = utc_now_iso()
        self.settled = CodeRanges()
        self.archived_codes = CodeRanges()
        self.pending: set[int] = set()
        # (code, reason) of the first failed and blocked codes, for the summary.
        self.failures: dict[State, list[tuple[int, str]]] = {State.FAILED: [], State.BLOCKED: []}
        self.samples: dict[str, list[int]] = {}
        self.storage_error: str | None = None
        self.interrupted = False
        self.finished = False
        self.exit_status: ExitCode | None = None
        self.arguments: dict[str, Any] = {}
        self.failure_log = FailureLog.from_settings(settings)
        self.fsync_interval = settings.getfloat("ARCHIVE_FSYNC_INTERVAL")
        self._commits = LoopingCall(self._commit_tick)

        self.store = ArchiveStore(
            self.directory,
            self.run_id,
            self.fsync_interval,
            lock_wait=parse_duration(settings.get("ARCHIVE_LOCK_WAIT", 0), "ARCHIVE_LOCK_WAIT"),
        )
        self.ledger = self.store.ledger
        self._report_repair(self.store.repair_report)
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
        self.stats.set_value("archive/repair/missing_files", len(report.missing))
        self.stats.set_value("archive/repair/truncated", len(report.truncated))
        if not report.clean:
            logger.warning("Archive repaired at start: %s", report.describe())

    # -- what spiders and pipelines call --------------------------------------

    def plan(self, count: int = 1) -> None:
        """``count`` more codes are planned: to be settled or skipped."""
        self._inc_value("archive/codes/asked", count)

    def expect(self, total: int) -> None:
        """The run's whole work, when known before it is planned code by code
        (a range): progress and the unfinished count are measured against it."""
        self.stats.set_value("archive/codes/expected", total)

    def requested(self, code: int) -> None:
        """A request for ``code`` is on its way; it is unfinished until settled."""
        self.pending.add(code)
        self._inc_value("archive/codes/requested")

    def skip(self, state: State) -> None:
        """A code the ledger already settled: not requested."""
        self._inc_value(f"archive/codes/skipped/{state.value}")

    def sample(self, kind: str, code: int) -> None:
        """Keep a few codes of a kind (unrecognized, generic...) for the summary."""
        codes = self.samples.setdefault(kind, [])
        if len(codes) < SAMPLE_CODES:
            codes.append(code)

    def settle(
        self, code: int, state: State, *, detail: str | None = None, ref_code: int | None = None
    ) -> None:
        """Record what an answer other than a story record showed."""
        self.decide(code, Observation(state, detail=detail, ref_code=ref_code))

    def decide(self, code: int, seen: Observation) -> Decision:
        """Apply the rules to what was seen of ``code``: record and count the
        outcome. A story whose decision says ``write_line`` is then written by
        :meth:`archive`; anything else is settled here."""
        current = self.ledger.get(code)
        holder = (
            self.ledger.code_for_hash(seen.sha256)
            if seen.state is State.ARCHIVED and seen.sha256
            else None
        )
        decision = transition(
            seen,
            current,
            settled_this_run=code in self.settled,
            archived_this_run=code in self.archived_codes,
            holder_of_content=holder,
            code=code,
        )
        if decision.write_line:
            return decision  # captured, written and counted by archive()
        # The capture's metadata record (WARC) is durable before the ledger
        # records what the answer made of the code.
        shown = decision.counted_as or seen.state
        note = "unchanged" if decision.verdict is Verdict.UNCHANGED else seen.detail
        if not capture_outcome(self.crawler, code, shown.value, note, decision.ref_code):
            return decision
        if decision.record is not None:
            try:
                self.store.record(
                    code, decision.record, detail=seen.detail, ref_code=decision.ref_code
                )
            except (sqlite3.Error, LedgerDamaged) as exc:
                self.storage_failed(self.ledger.problem("cannot write the ledger", exc))
                return decision
        self._count(code, decision, seen.detail)
        return decision

    def archive(self, item: Any) -> None:
        """Write a record that :meth:`decide` let through, then record it as
        archived: a code is never marked archived without its line."""
        if self.storage_error:
            raise StorageError(self.storage_error)
        record = fields_of(item)
        code, revision = record["story_code"], record.get("revision") or 1
        if not capture_outcome(self.crawler, code, State.ARCHIVED.value, None, None):
            raise StorageError(self.storage_error or "the WARC capture could not be written")
        try:
            self.store.append(
                item, code, record["content_sha256"], record.get("published_at"), revision
            )
        except OSError as exc:
            raise self.storage_failed(f"cannot write {self.store.writer.path}: {exc}") from exc
        except (sqlite3.Error, LedgerDamaged) as exc:
            # The line is in the file: the next start's repair adopts it.
            raise self.storage_failed(self.ledger.problem("cannot write the ledger", exc)) from exc
        self.archived_codes.add(code)
        self._inc_value("archive/records/written")
        verdict = Verdict.REVISION if record.get("previous_sha256") else Verdict.NEW
        counted = None if code in self.settled else State.ARCHIVED
        self._count(code, Decision(verdict, counted), None)

    def _count(self, code: int, decision: Decision, detail: str | None) -> None:
        # A code this run did not ask for (a story a redirect led to, outside
        # the codes given) is counted apart: the run's work is what it asked.
        asked = code in self.pending
        self.pending.discard(code)
        if decision.verdict is Verdict.REVISION:
            self._inc_value("archive/records/revisions")
        elif decision.verdict is Verdict.UNCHANGED:
            self._inc_value("archive/records/unchanged")
        elif decision.verdict is Verdict.DUPLICATE_CONTENT:
            self._inc_value("archive/dropped/duplicate_content")
        elif decision.verdict is Verdict.REPEAT:
            self._inc_value("archive/dropped/repeat")
        elif decision.verdict is Verdict.NOT_REVISED:
            self._inc_value("archive/records/not_revised")
        if decision.counted_as is None:
            return
        self.settled.add(code)
        self._inc_value("archive/codes/done" if asked else "archive/codes/reached")
        self._inc_value(f"archive/state/{decision.counted_as.value}")
        if decision.counted_as in (State.FAILED, State.BLOCKED):
            listed = self.failures[decision.counted_as]
            if len(listed) < LISTED_FAILURES:
                listed.append((code, detail or "unknown"))
            self.failure_log.failed(code, detail, decision.counted_as.value)
        elif decision.counted_as is State.UNRECOGNIZED:
            self.sample("unrecognized", code)

    def storage_failed(self, message: str) -> StorageError:
        """Stop the run: nothing more can be archived safely."""
        if self.storage_error is None:
            self.storage_error = message
            logger.error("Stopping: %s", message)
            BackoffRetryMiddleware.stop_waiting_in(self.crawler)
            deferred_from_coro(
                self.crawler.engine.close_spider_async(reason="archive_storage_error")
            )
        return StorageError(self.storage_error)

    def listing_failed(self) -> None:
        """A discovery page (home page, feed) could not be had."""
        self._inc_value("archive/discovery/failed")

    # -- signals ---------------------------------------------------------------

    def response_received(self, response: Any, request: Any, spider: Spider) -> None:
        # robots.txt answering says nothing about whether stories can be had.
        if not ("code" in request.meta or request.meta.get("listing")):
            return
        if response.status < 400 or response.status in (404, 410):
            self._inc_value("archive/site/answered")

    def engine_started(self) -> None:
        self.arguments = dict(getattr(self.crawler.spider, "run_arguments", {}))
        try:  # the start line, runs/<id>.json "running", dead runs marked killed
            begin_run(self, self.crawler.settings.get("SITE_URL"))
        except (OSError, sqlite3.Error) as exc:
            self.storage_failed(f"cannot write the run file: {exc}")
        # One ledger commit per fsync tick, not one per code: a kill loses at
        # most a tick's rows, which the next start adopts or asks again.
        self.ledger.hold_commits(self.fsync_interval)
        if self.fsync_interval > 0:
            self._commits.start(self.fsync_interval, now=False)
        self._watch_shutdown_signals()

    def _commit_tick(self) -> None:
        try:
            self.ledger.commit()
        except (sqlite3.Error, LedgerDamaged) as exc:
            self.storage_failed(self.ledger.problem("cannot write the ledger", exc))

    def _watch_shutdown_signals(self) -> None:
        """Note the first SIGTERM/SIGINT/SIGHUP, then let Scrapy's handler stop
        the crawl gracefully; in-flight work gets ARCHIVE_STOP_TIMEOUT seconds."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(signum)
            if not callable(previous):
                continue

            def on_signal(num: int, frame: Any, previous: Any = previous) -> None:
                self._on_shutdown_signal()
                previous(num, frame)

            signal.signal(signum, on_signal)
        # A closed terminal (an ssh session gone) sends SIGHUP, whose default
        # kills like SIGKILL: no summary, the run file left running. It stops
        # the run as SIGTERM does, unless it is ignored (nohup) as asked.
        if signal.getsignal(signal.SIGHUP) == signal.SIG_DFL:
            signal.signal(signal.SIGHUP, signal.getsignal(signal.SIGTERM))

    def _on_shutdown_signal(self) -> None:
        if self.interrupted:
            return
        self.interrupted = True
        from twisted.internet import reactor

        # A retry waiting out its backoff would hold the stop for up to
        # RETRY_BACKOFF_MAX; its code is left unfinished for the next run.
        reactor.callFromThread(BackoffRetryMiddleware.stop_waiting_in, self.crawler)
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
        if self._commits.running:
            self._commits.stop()
        if reason == "finished":
            # A request Scrapy dropped without an answer must not leave its
            # code in no state at all.
            for code in sorted(self.pending):
                self.settle(code, State.FAILED, detail="no answer: the request was dropped")
        # Durable before the exit status is decided: a last commit that
        # fails (a full disk) must make it 7, not go unnoticed.
        if problem := self._sync_archive():
            self._storage_failed_at_end(problem)
        stats = self.stats.get_stats()
        unfinished = codes_total(stats) - codes_done(stats)
        counts = {state.value: stats.get(f"archive/state/{state.value}", 0) for state in State}
        layout_changes = layout_evidence(stats, self.field_missing_max_ratio)
        self.exit_status = decide_exit_status(
            RunOutcome(
                finish_reason=reason,
                interrupted=self.interrupted,
                storage_error=self.storage_error,
                outcomes=counts,
                asked=stats.get("archive/codes/asked", 0),
                answered=stats.get("archive/site/answered", 0),
                listings_failed=stats.get("archive/discovery/failed", 0),
                failed_max_ratio=self.failed_max_ratio,
                layout_changes=layout_changes,
            )
        )
        self.stats.set_value("archive/exit_status", int(self.exit_status))
        summary = self._summary(reason, counts, unfinished, layout_changes, stats)
        self.failure_log.close()
        try:
            finish_run_file(self.directory, self.run_id, summary, self.stats.get_stats())
            self.ledger.record_run(self.run_id, summary)
        except (OSError, sqlite3.Error) as exc:
            self._storage_failed_at_end(f"cannot write the run summary: {exc}", summary)
        finally:
            if problem := self.store.close():
                self._storage_failed_at_end(problem, summary)
        logger.info("%s", human_summary(summary))
        return self.exit_status

    def _sync_archive(self) -> str | None:
        """WARC records, then lines, then the ledger's last transaction."""
        try:
            sync_capture(self.crawler)
        except (OSError, sqlite3.Error) as exc:
            return f"cannot write the WARC capture: {exc}"
        return self.store.sync()

    def _storage_failed_at_end(self, problem: str, summary: dict[str, Any] | None = None) -> None:
        """A write of the run's end failed: the run exits 7 and says why, the
        summary printed included (the one on disk could not be written, or
        says the run was finishing)."""
        logger.error("%s", problem)
        self.storage_error = self.storage_error or problem
        if summary is None:
            return
        self.exit_status = ExitCode.STORAGE
        self.stats.set_value("archive/exit_status", int(self.exit_status))
        summary.update(
            exit_status=int(self.exit_status),
            exit_meaning=EXPLANATIONS[self.exit_status],
            storage_error=self.storage_error,
        )

    def _summary(
        self,
        reason: str | None,
        counts: dict[str, int],
        unfinished: int,
        layout_changes: list[str],
        stats: dict[str, Any],
    ) -> dict[str, Any]:
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
            "codes_asked": codes_total(stats),
            "codes_settled": stats.get("archive/codes/done", 0),
            "codes_unfinished": unfinished,
            "counts": counts,
            "skipped": prefixed(stats, "archive/codes/skipped/"),
            "new_records": stats.get("archive/records/written", 0),
            "revisions": stats.get("archive/records/revisions", 0),
            "unchanged": stats.get("archive/records/unchanged", 0),
            "archive_file": self.store.file_name,
            "failed": [{"code": code, "reason": why} for code, why in self.failures[State.FAILED]],
            "blocked": [
                {"code": code, "reason": why} for code, why in self.failures[State.BLOCKED]
            ],
            "layouts": prefixed(stats, "archive/layout/"),
            "field_missing": prefixed(stats, "archive/field_missing/"),
            "records_extracted": stats.get("archive/extract/records", 0),
            "layout_changed": layout_changes,
            "samples": self.samples,
            "storage_error": self.storage_error,
            "repair": self.store.repair_report.describe(),
        }


def prefixed(stats: dict[str, Any], prefix: str) -> dict[str, Any]:
    """
    >>> prefixed({"a/x": 1, "a/y": 2, "b/z": 3}, "a/")
    {'x': 1, 'y': 2}
    """
    return {key[len(prefix) :]: value for key, value in stats.items() if key.startswith(prefix)}


def layout_evidence(stats: dict[str, Any], max_missing: dict[str, float]) -> list[str]:
    """What in a run's stats says the site's layout changed, one phrase each.

    >>> layout_evidence({"archive/state/unrecognized": 2, "archive/layout/generic": 1,
    ...     "archive/extract/records": 4, "archive/field_missing/published_at": 1},
    ...     {"published_at": 0.0, "title": 0.0})
    ... # doctest: +NORMALIZE_WHITESPACE
    ['2 page(s) unrecognized', '1 record(s) by the generic layer',
     'published_at missing on 1 of 4 pages']
    >>> layout_evidence({"archive/extract/records": 4, "archive/field_missing/lead": 3},
    ...     {"lead": 0.8})
    []
    """
    evidence = []
    if unrecognized := stats.get("archive/state/unrecognized", 0):
        evidence.append(f"{unrecognized} page(s) unrecognized")
    if generic := stats.get("archive/layout/generic", 0):
        evidence.append(f"{generic} record(s) by the generic layer")
    pages = stats.get("archive/extract/records", 0)
    for name, limit in max_missing.items():
        missing = stats.get(f"archive/field_missing/{name}", 0)
        if pages and missing / pages > limit:
            evidence.append(f"{name} missing on {missing} of {pages} pages")
    return evidence
