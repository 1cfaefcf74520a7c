"""What every story spider shares: codes in, requests out, responses routed.

A spider decides which codes to ask for; this base builds the requests, asks
the ledger what is already settled, and turns each response or failure into
exactly one outcome for its code. Extraction itself is the page object's job.
"""

from __future__ import annotations

import functools
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
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
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.asyncio import sleep
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure

from crawler import __version__
from crawler.checks import site_url
from crawler.clean.dates import utc_now_iso
from crawler.codes import CodeRanges
from crawler.errors import BadArguments, StorageError
from crawler.extensions.run import ArchiveRun
from crawler.items import StoryItem
from crawler.ledger import State
from crawler.ledger.rules import AskPolicy, due
from crawler.middlewares.robots import RobotsUnavailable
from crawler.pages import StoryPage, read_answer, refusal_kind
from crawler.pages.generic import GenericPage
from crawler.pages.layouts import load_layouts

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

LOOKUP_CHUNK = 1000
# What Scrapy's RobotsTxtMiddleware says when it refuses a request; other
# IgnoreRequest causes (a decompression bomb, say) are failures, not blocks.
ROBOTS_REFUSAL = "Forbidden by robots.txt"
AGE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
AGE_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
# A refresh window of a thousand years already means "everything"; a larger
# one is a typo, and would run past the calendar's start.
MAX_AGE = timedelta(days=365250)
LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")
# How often a plan waiting for room in the engine looks again (seconds).
BACKOUT_POLL = 0.01


def parse_age(text: str) -> timedelta:
    """A refresh window such as ``7d``, ``12h`` or ``2w``.

    >>> parse_age("7d")
    datetime.timedelta(days=7)
    >>> parse_age("99999999d")
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: refresh: '99999999d' reaches back further than 365250 days
    >>> parse_age("9999999999d")
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: refresh: '9999999999d' reaches back further than 365250 days
    >>> parse_age("soon")
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: refresh: 'soon' is not an age (expected N followed by h, d or w)
    """
    match = AGE.match(text)
    if not match:
        raise BadArguments(f"refresh: {text!r} is not an age (expected N followed by h, d or w)")
    try:
        age = timedelta(**{AGE_UNITS[match.group(2).lower()]: int(match.group(1))})
    except OverflowError:  # beyond any timedelta: far beyond the limit too
        age = MAX_AGE + timedelta(days=1)
    if age > MAX_AGE:
        raise BadArguments(f"refresh: {text!r} reaches back further than {MAX_AGE.days} days")
    return age


def parse_site_url(value: str) -> str:
    """SITE_URL without a trailing slash (the rule is ``checks.site_url``).

    >>> parse_site_url("http://127.0.0.1:8080/")
    'http://127.0.0.1:8080'
    >>> parse_site_url("ftp://example.org")
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: SITE_URL: 'ftp://example.org' is not an http(s) URL with a host
    """
    try:
        return site_url(value)
    except ValueError as exc:
        raise BadArguments(f"SITE_URL: {exc}") from None


def parse_language(value: str) -> str:
    """SITE_LANGUAGE: the edition's path segment and the records' language.

    >>> parse_language("fa")
    'fa'
    >>> parse_language("/en/")
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: SITE_LANGUAGE: '/en/' is not a language code such as en or fa
    """
    if not LANGUAGE.fullmatch(value):
        raise BadArguments(f"SITE_LANGUAGE: {value!r} is not a language code such as en or fa")
    return value


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
    language: str
    layouts: tuple[type[StoryPage], ...]
    allowed_domains: list[str]
    not_found_age: timedelta
    run: ArchiveRun

    def __init__(self, *args: Any, refresh: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.refresh = parse_age(refresh) if refresh else None
        self.run_arguments: dict[str, Any] = {"refresh": refresh} if refresh else {}
        # Every code this run planned (asked or skipped), so none is counted
        # or requested twice; ranges, so a huge range costs no memory.
        self.seen = CodeRanges()

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
        spider.language = parse_language(crawler.settings.get("SITE_LANGUAGE", ""))
        spider.layouts = load_layouts(crawler.settings.getlist("STORY_LAYOUTS"))
        spider.allowed_domains = [urlsplit(spider.site_url).hostname or ""]
        spider.not_found_age = timedelta(
            days=crawler.settings.getfloat("ARCHIVE_NOT_FOUND_RECHECK_DAYS")
        )
        return spider

    @staticmethod
    def storage_guarded(
        start: Callable[[Any], AsyncIterator[Request]],
    ) -> Callable[[Any], AsyncIterator[Request]]:
        """For a spider's ``start``: the ledger it plans from turning out
        damaged or unreadable stops the run with exit 7 and one line, as
        any other storage failure does (Scrapy would log a traceback and
        finish the run as if nothing were wrong)."""

        @functools.wraps(start)
        async def guarded(spider: Any) -> AsyncIterator[Request]:
            try:
                async for request in start(spider):
                    if spider.run.storage_error:
                        return  # the run is stopping; its ledger may be closed
                    yield request
            except (StorageError, sqlite3.Error) as exc:
                if not spider.run.storage_error:  # else: already said, and closed
                    spider.run.storage_failed(
                        spider.run.ledger.problem("cannot read the ledger", exc)
                    )

        return guarded

    def attach_run(self) -> ArchiveRun:
        self.run = ArchiveRun.of(self.crawler, "a story spider")
        return self.run

    # -- which codes --------------------------------------------------------

    def policy(self, *, listed: bool = False) -> AskPolicy:
        return AskPolicy(self.not_found_age, self.refresh, listed)

    def requests_for(self, low: int, high: int, *, listed: bool = False) -> Iterator[Request]:
        """Requests for the codes in [low, high] that this run has not planned
        yet and that are due (see ``rules.due``); the others are counted as
        skipped. One ledger query per chunk of codes."""
        policy = self.policy(listed=listed)
        for chunk_low in range(low, high + 1, LOOKUP_CHUNK):
            chunk_high = min(high, chunk_low + LOOKUP_CHUNK - 1)
            states = self.run.ledger.states_between(chunk_low, chunk_high)
            now = datetime.now(UTC)
            for code in range(chunk_low, chunk_high + 1):
                if code in self.seen:
                    continue
                self.seen.add(code)
                self.run.plan()
                state = states.get(code)
                if due(state, now, policy):
                    yield self.story_request(code)
                else:
                    assert state is not None
                    self.run.skip(state.state)

    async def lazily(self, low: int, high: int, *, listed: bool = False) -> AsyncIterator[Request]:
        """:meth:`requests_for`, one request at a time as the engine can take
        it: a range of ten million codes is never queued whole, and the
        reactor (signals, answers) runs between ledger chunks."""
        for chunk_low in range(low, high + 1, LOOKUP_CHUNK):
            for request in self.requests_for(
                chunk_low, min(high, chunk_low + LOOKUP_CHUNK - 1), listed=listed
            ):
                if not await self.room():
                    return
                yield request
            await sleep(0)
            if not self.crawler.engine.running:
                return

    async def room(self) -> bool:
        """Wait until the engine can take one more request; False once it is
        stopping, so a SIGTERM is not held up by a plan that is still long."""
        engine = self.crawler.engine
        while engine.needs_backout():
            if not engine.running or self.run.interrupted:
                return False
            await sleep(BACKOUT_POLL)
        return True

    def story_url(self, code: int) -> str:
        return f"{self.site_url}/{self.language}/news/{code}"

    def story_request(self, code: int) -> Request:
        self.run.requested(code)
        return Request(
            self.story_url(code),
            callback=self.parse_story,
            errback=self.story_failed,
            meta={"code": code, "handle_httpstatus_list": [404, 410]},
        )

    # -- responses ----------------------------------------------------------

    def parse_story(self, response: Response) -> Iterator[StoryItem | Request]:
        code: int = response.meta["code"]
        answer = read_answer(
            code,
            response,
            redirected=bool(response.meta.get("redirect_urls")),
            site_url=self.site_url,
            language=self.language,
            crawled_at=utc_now_iso(),
            layouts=self.layouts,
        )
        if answer.state is State.FAILED:
            logger.error("Story %s (%s): %s", code, response.url, answer.detail)
        inc_value = self.crawler.stats.inc_value
        if answer.reading is not None:
            for note in answer.reading.notes:
                inc_value(f"archive/extract/{note}")
            if "code_conflict" in answer.reading.notes:
                # Kept as the URL's story (the format says so), but a person
                # should see which pages named another.
                self.run.sample("code_conflict", code)
        if answer.item is None:
            self.run.settle(code, answer.state, detail=answer.detail)
            return
        story_code = answer.item.story_code
        assert story_code is not None and answer.reading is not None
        inc_value("archive/extract/records")
        inc_value(f"archive/layout/{answer.reading.layout}")
        if answer.reading.layout == GenericPage.name:
            self.run.sample("generic", story_code)
        if answer.state is State.REDIRECTED:
            # A real redirect to another story: this code is settled as such,
            # and the story is archived under its own code.
            self.run.settle(code, State.REDIRECTED, ref_code=story_code)
        yield answer.item
        yield from self.story_found(story_code)

    def story_found(self, code: int) -> Iterator[Request]:
        """Hook for spiders that discover codes as they go."""
        return iter(())

    def story_failed(self, failure: Failure) -> None:
        request: Request = failure.request  # type: ignore[attr-defined]
        code: int = request.meta["code"]
        if failure.check(RobotsUnavailable):
            status = failure.value.status
            detail = f"robots.txt answered HTTP {status}: complete disallow"
            self.run.settle(code, State.BLOCKED, detail=detail)
        elif failure.check(IgnoreRequest) and ROBOTS_REFUSAL in failure.getErrorMessage():
            self.run.settle(code, State.BLOCKED, detail="disallowed by robots.txt")
        elif failure.check(HttpError) and (kind := refusal_kind(failure.value.response)):
            status = failure.value.response.status
            self.run.settle(code, State.BLOCKED, detail=f"{kind} (HTTP {status})")
        else:
            self.run.settle(code, State.FAILED, detail=failure_reason(failure))
