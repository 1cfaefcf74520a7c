"""Retries with exponential backoff, honouring ``Retry-After``.

Scrapy's own RetryMiddleware decides *whether* to retry; this subclass only
adds *when*: it waits before handing the retry back, so a struggling site gets
breathing room instead of an immediate second hit.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response


def backoff_delay(attempt: int, base: float, cap: float, jitter: float = 0.0) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based).

    >>> [backoff_delay(n, 1.0, 10.0) for n in (1, 2, 3, 4, 5)]
    [1.0, 2.0, 4.0, 8.0, 10.0]
    """
    return min(cap, base * 2 ** (attempt - 1)) * (1 + jitter)


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Parse a ``Retry-After`` header: delta-seconds or an HTTP date.

    >>> retry_after_seconds(b"7")
    7.0
    >>> retry_after_seconds("Thu, 01 Jan 1970 00:00:10 GMT", now=4.0)
    6.0
    >>> retry_after_seconds("soon") is None
    True
    """
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class BackoffRetryMiddleware(RetryMiddleware):
    """Drop-in replacement for Scrapy's RetryMiddleware (same settings), plus
    ``RETRY_BACKOFF_BASE`` and ``RETRY_BACKOFF_MAX`` (seconds)."""

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")
        # Set when the spider closes early: see stop_waiting().
        self._closing = asyncio.Event()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        outcome = super().process_response(request, response)
        if isinstance(outcome, Request):
            await self._wait(outcome, response.headers.get(b"Retry-After"))
        return outcome

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        outcome = super().process_exception(request, exception)
        if isinstance(outcome, Request):
            await self._wait(outcome, None)
        return outcome

    def stop_waiting(self) -> None:
        """The spider is closing: every backoff ends now and none starts.

        A request waiting out its backoff is still in progress, and the engine
        closes only once nothing is: without this, a run that gave up would
        exit only when the longest backoff (up to RETRY_BACKOFF_MAX) ended.
        The retries go back to an engine that is closing, which never sends
        them; their codes stay unfinished, as the spider's close intends."""
        self._closing.set()

    @classmethod
    def stop_waiting_in(cls, crawler: Crawler) -> None:
        """:meth:`stop_waiting` on the crawl's retry middleware, if it has this one."""
        retry = crawler.get_downloader_middleware(cls)
        if retry is not None:
            retry.stop_waiting()

    async def _wait(self, retry: Request, retry_after: bytes | None) -> None:
        if self._closing.is_set():
            return
        delay = backoff_delay(
            retry.meta.get("retry_times", 1),
            self.backoff_base,
            self.backoff_max,
            jitter=random.uniform(0, 0.25),
        )
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            delay = min(max(delay, asked), self.backoff_max)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await asyncio.wait_for(self._closing.wait(), delay)
        except TimeoutError:
            pass  # the backoff ran its course
        else:
            self.crawler.stats.inc_value("archive/retry/backoff_cut")
        waited = loop.time() - started
        self.crawler.stats.inc_value("archive/retry/backoff_ms", round(waited * 1000))
