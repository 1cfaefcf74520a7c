"""What every story spider shares: codes in, requests out, responses routed.

A spider decides which codes to ask for; this base builds the requests, asks
the ledger what is already settled, and turns each response or failure into
exactly one outcome for its code. Extraction itself is the page object's job.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure

from crawler import __version__
from crawler.clean.dates import utc_now_iso
from crawler.clean.urls import code_in_url
from crawler.errors import BadArguments
from crawler.extensions.run import ArchiveRun
from crawler.items import StoryItem
from crawler.ledger import SETTLED, CodeState, State
from crawler.pages.encoding import corrected_encoding
from crawler.pages.story import StoryPage

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

LOOKUP_CHUNK = 1000
# What Scrapy's RobotsTxtMiddleware says when it refuses a request; other
# IgnoreRequest causes (a decompression bomb, say) are failures, not blocks.
ROBOTS_REFUSAL = "Forbidden by robots.txt"
AGE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
AGE_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """A refresh window such as ``7d``, ``12h`` or ``2w``.

    >>> parse_age("7d")
    datetime.timedelta(days=7)
    >>> parse_age("soon")
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: refresh: 'soon' is not an age (expected N followed by h, d or w)
    """
    match = AGE.match(text)
    if not match:
        raise BadArguments(f"refresh: {text!r} is not an age (expected N followed by h, d or w)")
    return timedelta(**{AGE_UNITS[match.group(2).lower()]: int(match.group(1))})


def parse_site_url(value: str) -> str:
    """SITE_URL without a trailing slash; it must be an http(s) URL with a host.

    >>> parse_site_url("http://127.0.0.1:8080/")
    'http://127.0.0.1:8080'
    >>> parse_site_url("ftp://example.org")
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: SITE_URL: 'ftp://example.org' is not an http(s) URL with a host
    """
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadArguments(f"SITE_URL: {value!r} is not an http(s) URL with a host")
    return value.strip().rstrip("/")


def failure_reason(failure: Failure) -> str:
    """The per-code reason recorded for a request that never gave a page."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    if failure.check(DownloadTimeoutError, TwistedTimeoutError):
        return "timeout"
    if failure.check(DownloadCancelledError):
        return "response over DOWNLOAD_MAXSIZE"
    if failure.check(IgnoreRequest) and "DOWNLOAD_MAXSIZE" in failure.getErrorMessage():
        return "decompressed body over DOWNLOAD_MAXSIZE"
    if failure.check(IgnoreRequest):
        return failure.getErrorMessage()[:300]
    if failure.check(ResponseDataLossError):
        return "incomplete body (connection lost before Content-Length)"
    return f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300]


class CodeSpider(Spider):
    """Base of the story spiders. ``-a refresh=7d`` re-fetches archived
    stories published within that window (a changed one gets a revision)."""

    archives_stories = True  # the ArchiveRun extension only runs for these
    site_url: str
    allowed_domains: list[str]
    not_found_age: timedelta
    run: ArchiveRun

    def __init__(self, *args: Any, refresh: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.refresh = parse_age(refresh) if refresh else None
        self.run_arguments: dict[str, Any] = {"refresh": refresh} if refresh else {}
        self._requested: set[int] = set()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # The User-Agent names the project and CONTACT_URL, whichever of the
        # two a user overrides; an explicit USER_AGENT wins.
        if (settings.getpriority("USER_AGENT") or 0) <= SETTINGS_PRIORITIES["project"]:
            settings.set(
                "USER_AGENT",
                f"{settings['BOT_NAME']}/{__version__} (+{settings['CONTACT_URL']})",
                priority="spider",
            )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.site_url = parse_site_url(crawler.settings.get("SITE_URL", ""))
        spider.allowed_domains = [urlsplit(spider.site_url).hostname or ""]
        spider.not_found_age = timedelta(
            days=crawler.settings.getfloat("ARCHIVE_NOT_FOUND_RECHECK_DAYS")
        )
        return spider

    def attach_run(self) -> ArchiveRun:
        self.run = ArchiveRun.of(self.crawler, "a story spider")
        return self.run

    # -- which codes --------------------------------------------------------

    def wanted(self, state: CodeState | None, *, probing: bool = False) -> bool:
        """Whether a code with this ledger state should be fetched now."""
        if state is None or state.state is State.FAILED:
            return True
        if state.state in SETTLED:
            return self._due_for_refresh(state)
        if probing:
            return True
        checked = datetime.fromisoformat(state.updated_at.replace("Z", "+00:00"))
        return datetime.now(UTC) - checked >= self.not_found_age

    def _due_for_refresh(self, state: CodeState) -> bool:
        if self.refresh is None or state.state is not State.ARCHIVED or not state.published_at:
            return False
        published = datetime.fromisoformat(state.published_at)
        return datetime.now(UTC) - published <= self.refresh

    def requests_for(self, low: int, high: int, *, probing: bool = False) -> Iterator[Request]:
        """Requests for the codes in [low, high] that the ledger does not
        call settled; the others are counted as skipped."""
        for chunk_low in range(low, high + 1, LOOKUP_CHUNK):
            chunk_high = min(high, chunk_low + LOOKUP_CHUNK - 1)
            states = self.run.ledger.states_between(chunk_low, chunk_high)
            for code in range(chunk_low, chunk_high + 1):
                if code in self._requested:
                    continue
                self.run.plan(1)
                state = states.get(code)
                if self.wanted(state, probing=probing):
                    yield self.story_request(code)
                else:
                    assert state is not None
                    self.run.skip(state.state)

    def story_request(self, code: int) -> Request:
        self._requested.add(code)
        self.run.requested(code)
        return Request(
            f"{self.site_url}/en/news/{code}",
            callback=self.parse_story,
            errback=self.story_failed,
            meta={"code": code, "handle_httpstatus_list": [404, 410]},
        )

    # -- responses ----------------------------------------------------------

    def parse_story(self, response: Response) -> Iterator[StoryItem | Request]:
        code: int = response.meta["code"]
        if response.status in (404, 410):
            self.run.settle(code, State.NOT_FOUND, detail=f"HTTP {response.status}")
            return
        if not isinstance(response, TextResponse):
            self.run.settle(code, State.NOT_FOUND, detail="not an HTML page")
            return
        encoding = corrected_encoding(response.body, response.encoding)
        if encoding is not None:
            self.crawler.stats.inc_value("archive/extract/charset_corrected")
            response = response.replace(encoding=encoding)
        page = StoryPage.from_response(response, crawled_at=utc_now_iso())
        try:
            story_code = page.story_code
            item = page.to_item() if story_code is not None else None
        except Exception as exc:
            logger.exception("Extraction failed for story %s (%s)", code, response.url)
            self.run.settle(code, State.FAILED, detail=f"extraction error: {exc!r}"[:300])
            return
        for note in page.notes:
            self.crawler.stats.inc_value(f"archive/extract/{note}")
        if story_code is None or item is None:
            self.run.settle(code, State.NOT_FOUND, detail=self._not_a_story(response))
            return
        if story_code != code:
            self.run.settle(code, State.REDIRECTED, ref_code=story_code)
        yield item
        yield from self.story_found(story_code)

    @staticmethod
    def _not_a_story(response: Response) -> str:
        if response.meta.get("redirect_urls") and code_in_url(response.url) is None:
            return f"redirected to a page that is not a story ({urlsplit(response.url).path})"
        return "no story code on the page (error page)"

    def story_found(self, code: int) -> Iterator[Request]:
        """Hook for spiders that discover codes as they go."""
        return iter(())

    def story_failed(self, failure: Failure) -> None:
        request: Request = failure.request  # type: ignore[attr-defined]
        code: int = request.meta["code"]
        if failure.check(IgnoreRequest) and ROBOTS_REFUSAL in failure.getErrorMessage():
            self.run.settle(code, State.BLOCKED, detail="disallowed by robots.txt")
        else:
            self.run.settle(code, State.FAILED, detail=failure_reason(failure))
