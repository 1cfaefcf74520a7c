"""A site that cannot be reached at all ends the run early, with exit status 4.

Without this, every request of an unreachable site goes through all its
retries and their backoff before the run can say so: minutes of nothing.
Once ``ARCHIVE_UNREACHABLE_AFTER`` seconds (default 30) have passed with
connection-level failures only (the name does not resolve, the connection is
refused, nothing answers in time) and not one answer from the site, the
spider is closed with the reason ``site_unreachable``; its codes stay
unfinished, for the next run. Any answer (any HTTP status, robots.txt
included) means the site is there: later failures are ordinary failed codes.

It is a downloader middleware because that is where Scrapy hands out
download exceptions; placed next to the downloader, it sees every attempt,
retries included.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import CallLaterResult, call_later
from scrapy.utils.defer import deferred_from_coro

from crawler.logs import CONNECTION_ERRORS
from crawler.middlewares.retry import BackoffRetryMiddleware
from crawler.units import describe_seconds, parse_duration

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

CLOSE_REASON = "site_unreachable"


class ReachabilityWatch:
    def __init__(self, crawler: Crawler, after: float):
        self.crawler = crawler
        self.after = after
        self.answered = False
        self.failures = 0
        self.last_error = ""
        self.waited = False
        self.gave_up = False
        self._timer: CallLaterResult | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReachabilityWatch:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_UNREACHABLE_ENABLED", True):
            raise NotConfigured("ARCHIVE_UNREACHABLE_ENABLED is off")
        after = parse_duration(
            settings.get("ARCHIVE_UNREACHABLE_AFTER", 30), "ARCHIVE_UNREACHABLE_AFTER"
        )
        if after <= 0:
            raise NotConfigured("ARCHIVE_UNREACHABLE_AFTER is 0")
        watch = cls(crawler, after)
        crawler.signals.connect(watch.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(watch.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(watch.headers_received, signal=signals.headers_received)
        return watch

    def spider_opened(self) -> None:
        self._timer = call_later(self.after, self.deadline_passed)

    def spider_closed(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def headers_received(self, **_: Any) -> None:
        self.answered = True

    def process_request(self, request: Request) -> None:
        if self.gave_up:
            # Requests still coming out of the retry queue would each wait out
            # their backoff again before the spider can close.
            raise IgnoreRequest("not requested: the site cannot be reached")

    def process_response(self, request: Request, response: Response) -> Response:
        self.answered = True
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if self.answered or not isinstance(exception, CONNECTION_ERRORS):
            return
        self.failures += 1
        self.last_error = str(exception) or type(exception).__name__
        self.crawler.stats.inc_value("archive/unreachable/connection_failures")
        if self.waited:
            self._give_up()

    def deadline_passed(self) -> None:
        self.waited = True
        if self.failures:
            self._give_up()

    def _give_up(self) -> None:
        if self.answered or self.gave_up:
            return
        self.gave_up = True
        logger.error(
            "The site cannot be reached: no answer in %s, %d connection failure(s), last: %s",
            describe_seconds(self.after),
            self.failures,
            self.last_error,
        )
        BackoffRetryMiddleware.stop_waiting_in(self.crawler)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=CLOSE_REASON))
