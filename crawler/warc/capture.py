"""Capturing every response as the server sent it, in WARC.

A downloader middleware placed next to the downloader (priority 950: its
``process_response`` runs before HttpCompressionMiddleware's, so the body is
still compressed as sent, and before RedirectMiddleware's and the retry
middleware's, so every 3xx and every retried 5xx is captured too) writes a
``request`` and a ``response`` record per response, or a ``revisit`` record
when a payload identical to an earlier capture comes back. When the store
settles a code it calls :meth:`WarcCapture.outcome`, which writes a
``metadata`` record naming the code, the run and the outcome, pointing at the
code's responses with ``WARC-Concurrent-To``. Records are written before the
ledger hears of the outcome, so an archived code always has its capture.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from crawler.errors import StorageError
from crawler.ledger import LedgerDamaged, SQLiteLedger
from crawler.ledger.sqlite import is_damage
from crawler.warc.index import Original, WarcIndex
from crawler.warc.records import (
    metadata_fields,
    metadata_record,
    payload_digest,
    record_date,
    record_id,
    request_record,
    response_http_headers,
    response_record,
    revisit_record,
)
from crawler.warc.repair import WarcRepairReport, forget_uncaptured, repair_warc
from crawler.warc.writer import WARC_DIR, WarcFileWriter

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

# Only payloads at least this long become revisits: a revisit record is about
# this size itself, so an empty redirect body gains nothing from one.
REVISIT_MIN_PAYLOAD = 512


def run_of(crawler: Crawler) -> Any:
    """The crawl's run (its id, its storage-failure flag), or None outside a
    story crawl. The one place that knows where the run lives."""
    from crawler.extensions.run import ArchiveRun

    return crawler.get_extension(ArchiveRun)


class WarcCapture:
    def __init__(
        self,
        crawler: Crawler,
        archive_dir: Path,
        run_id: str,
        ledger: SQLiteLedger,
        *,
        max_bytes: int,
        fsync_interval: float,
        level: int,
    ):
        self.crawler = crawler
        self.stats = crawler.stats
        self.run_id = run_id
        self.site_url = crawler.settings.get("SITE_URL", "").rstrip("/")
        self.language = crawler.settings.get("SITE_LANGUAGE", "en")
        self.ledger = ledger
        try:
            self.index = WarcIndex.on_ledger(ledger)
            self.repair_report = repair_warc(archive_dir, self.index)
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):  # the index's pages of the ledger's file
                raise LedgerDamaged(ledger.path, str(exc)) from exc
            raise StorageError(f"cannot read the WARC capture index: {exc}") from exc
        self._report_repair(self.repair_report)
        self.writer = WarcFileWriter(
            archive_dir / WARC_DIR,
            run_id,
            max_bytes=max_bytes,
            fsync_interval=fsync_interval,
            level=level,
            info={
                "http-header-user-agent": crawler.settings.get("USER_AGENT", ""),
                "robots": "obey" if crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            },
        )
        # Per code, this run's response/revisit record ids not yet named by a
        # metadata record.
        self.pending: defaultdict[int, list[str]] = defaultdict(list)
        self.failed: str | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCapture:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_WARC"):
            raise NotConfigured("ARCHIVE_WARC is off")
        run = run_of(crawler)
        if run is None:
            raise NotConfigured("WARC capture needs a story crawl's run (its lock and run id)")
        return cls(
            crawler,
            Path(settings.get("ARCHIVE_DIR", "archive")),
            run.run_id,
            run.ledger,
            max_bytes=settings.getint("ARCHIVE_WARC_MAX_BYTES"),
            fsync_interval=settings.getfloat("ARCHIVE_FSYNC_INTERVAL"),
            level=settings.getint("ARCHIVE_WARC_GZIP_LEVEL"),
        )

    @classmethod
    def of(cls, crawler: Crawler) -> WarcCapture | None:
        """The crawl's capture, or None when capture is off."""
        if not crawler.settings.getbool("ARCHIVE_WARC"):
            return None
        return crawler.get_downloader_middleware(cls)

    def _report_repair(self, report: WarcRepairReport) -> None:
        self.stats.set_value("archive/warc/repair/torn", len(report.torn))
        self.stats.set_value("archive/warc/repair/uncaptured", len(report.uncaptured))
        kept = forget_uncaptured(self.index, self.ledger, report.uncaptured)
        if report.clean:
            return
        logger.warning("WARC files repaired at start: %s", report.describe())
        if kept:
            logger.warning(
                "%d archived code(s) lost their WARC capture (their record is kept; a run"
                " that covers them fetches them again to capture them): %s",
                len(kept),
                ", ".join(map(str, kept[:20])),
            )

    # -- responses -------------------------------------------------------------

    def process_response(self, request: Request, response: Response) -> Response:
        # Done here, in the reactor's thread: a worker thread would not run
        # alongside it (the GIL, and a crawler kept to one core), and handing
        # each page over and back costs more than the SQL and Python of the
        # capture itself. ISA-L's deflate keeps the compression to a fraction.
        try:
            self._capture(request, response)
        except OSError as exc:
            raise IgnoreRequest(self._storage_failed(f"cannot write the WARC file: {exc}")) from exc
        return response

    def _capture(self, request: Request, response: Response) -> None:
        body = response.body
        digest = payload_digest(body)
        http = response_http_headers(response)
        original = self.index.original(digest) if len(body) >= REVISIT_MIN_PAYLOAD else None
        extra = (
            [] if response.ip_address is None else [("WARC-IP-Address", str(response.ip_address))]
        )
        if original is None:
            main = response_record(response.url, body, digest, http, extra)
        else:
            original_of = (original.record_id, original.target_uri, original.warc_date)
            main = revisit_record(response.url, digest, http, original_of, extra)
        this = Original(record_id(main), response.url, record_date(main))
        sent = request_record(request, response.url, http.protocol, this.record_id, this.warc_date)
        written = self.writer.write([main, sent])
        if original is None:
            self.index.add_payload(digest, this, written.file, written.spans[0][1])
            self.stats.inc_value("archive/warc/responses")
        else:
            self.stats.inc_value("archive/warc/revisits")
        code = request.meta.get("code")
        if code is not None:
            self.pending[code].append(this.record_id)

    # -- outcomes --------------------------------------------------------------

    def outcome(
        self, code: int, state: str, detail: str | None = None, ref_code: int | None = None
    ) -> None:
        """Write the ``metadata`` record of a settled code. Call it before the
        ledger records the outcome: the capture is then on file first."""
        responses = self.pending.pop(code, [])
        if state == "redirected" and ref_code is not None:
            # The page it redirected to is the capture of that story as well.
            self.pending[ref_code].extend(responses)
        fields = {
            "story-code": code,
            "run-id": self.run_id,
            "outcome": state,
            "detail": detail,
            "ref-code": ref_code,
        }
        body = metadata_fields(fields)
        record = metadata_record(f"{self.site_url}/{self.language}/news/{code}", body, responses)
        try:
            written = self.writer.write([record])
        except OSError as exc:
            raise StorageError(self._storage_failed(f"cannot write the WARC file: {exc}")) from exc
        self.index.add_capture(code, self.run_id, state, written.file, written.end)
        try:
            # Written before the ledger records the outcome, in the ledger's
            # transaction: the two are committed together (see index).
            self.index.flush()
        except (sqlite3.Error, LedgerDamaged) as exc:
            problem = self.ledger.problem("cannot write the WARC index", exc)
            raise StorageError(self._storage_failed(problem)) from exc
        self.stats.inc_value("archive/warc/outcomes")

    def _storage_failed(self, message: str) -> str:
        """Stop the run with the storage exit status: nothing more can be
        captured, so nothing more may be settled."""
        if self.failed is None:
            self.failed = message
            logger.error("Stopping: %s", message)
            run = run_of(self.crawler)
            if run is not None and run.storage_error is None:
                run.storage_error = message
            deferred_from_coro(
                self.crawler.engine.close_spider_async(reason="archive_storage_error")
            )
        return self.failed

    def spider_closed(self) -> None:
        # The index's rows are the run's to write (sync_capture), on
        # the ledger's connection, before it closes the ledger; rows a full
        # disk kept from the ledger go with the outcomes that were not
        # committed either.
        try:
            self.writer.close()
        except OSError as exc:
            logger.error("Could not close the WARC file: %s", exc)


def capture_outcome(
    crawler: Crawler, code: int, state: str, detail: str | None, ref_code: int | None
) -> bool:
    """What the store calls when it settles a code, before telling the ledger:
    the WARC ``metadata`` record, if capture is on. False when it could not be
    written (the run is stopping): the code must then stay unsettled."""
    capture = WarcCapture.of(crawler)
    if capture is None:
        return True
    try:
        capture.outcome(code, state, detail, ref_code)
    except StorageError:
        return False
    return True


def sync_capture(crawler: Crawler) -> None:
    """What the run calls before its ledger's last commit: the WARC records
    on disk, then the index rows of responses whose outcome never came
    (robots.txt, listings, a stopped run) into the ledger's transaction,
    since the index shares its connection. Raises OSError or sqlite3.Error."""
    capture = WarcCapture.of(crawler)
    if capture is not None:
        capture.writer.sync()
        capture.index.flush()
