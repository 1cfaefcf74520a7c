"""``scrapy crawl latest``: whatever was published since the last run.

New codes come from the home page, the feed (when one answers) and probing
upward from the highest story code known until LATEST_PROBE_MISSES codes in a
row are not stories. Every code between the last known story and the newest
one found is asked for, so gaps are filled.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.clean.urls import code_in_url
from crawler.codespider import CodeSpider, failure_reason
from crawler.ledger import ASKED_AGAIN
from crawler.ledger.rules import AskPolicy

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def linked_codes(response: Response, host: str | None) -> set[int]:
    """Story codes linked from a listing page (HTML or RSS), on our host only."""
    content_type = (response.headers.get(b"Content-Type") or b"text/html").decode("latin-1")
    if isinstance(response, TextResponse) and "html" in content_type:
        links = response.xpath("//a/@href").getall()
    else:  # feeds: <link> elements hold the story URLs
        links = [
            link.decode("utf-8", "replace")
            for link in re.findall(rb"<link>\s*([^<\s]+)\s*</link>", response.body)
        ]
    codes = set()
    for link in links:
        url = urljoin(response.url, link)
        code = code_in_url(url)
        if code is not None and urlsplit(url).hostname == host:
            codes.add(code)
    return codes


class LatestSpider(CodeSpider):
    name = "latest"
    arguments = ("refresh",)  # -a NAME=VALUE; others are refused
    FEED = "/rss/allnews"

    probe_misses: int
    max_jump: int
    retry_max: int

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.highest_story = self.highest_at_start = 0
        # Codes up to here are covered by probing and gap filling.
        self.frontier = 0
        self.strays: set[int] = set()
        self.started_empty = False
        self.floor: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.probe_misses = crawler.settings.getint("LATEST_PROBE_MISSES")
        spider.max_jump = crawler.settings.getint("LATEST_MAX_JUMP")
        spider.retry_max = crawler.settings.getint("LATEST_RETRY_MAX")
        return spider

    def policy(self, *, listed: bool = False) -> AskPolicy:
        return AskPolicy(
            self.not_found_age, self.refresh, listed, probe_above=self.highest_at_start
        )

    def listing_urls(self) -> list[str]:
        home = f"{self.site_url}/{self.language}"
        return [home, home + self.FEED]

    @CodeSpider.storage_guarded
    async def start(self) -> AsyncIterator[Request]:
        run = self.attach_run()
        # Known before the first listing can answer: parse_listing relies on it.
        self.highest_story = run.ledger.highest_story_code() or 0
        self.frontier = self.highest_at_start = self.highest_story
        self.started_empty = not self.highest_story
        for url in self.listing_urls():
            yield Request(
                url,
                callback=self.parse_listing,
                errback=self.listing_failed,
                priority=10,
                meta={"handle_httpstatus_list": [404, 410], "listing": True},
            )
        if self.refresh is not None:
            since = (datetime.now(UTC) - self.refresh).isoformat()
            for code in run.ledger.codes_published_since(since):
                async for request in self.lazily(code, code):
                    yield request
        # Codes earlier runs could not settle, oldest answer first: a failed
        # code is retried even after it has dropped off the home page.
        for code in run.ledger.codes_in_states(
            ASKED_AGAIN, limit=self.retry_max, oldest_first=True
        ):
            async for request in self.lazily(code, code):
                yield request
        if self.highest_story:
            for request in self._extend():
                yield request

    def _extend(self) -> Iterator[Request]:
        """Ask for every code up to LATEST_PROBE_MISSES past the highest story."""
        target = self.highest_story + self.probe_misses
        if target <= self.frontier:
            return
        low, self.frontier = self.frontier + 1, target
        yield from self.requests_for(low, target)

    def story_found(self, code: int) -> Iterator[Request]:
        if code > self.highest_story and code not in self.strays:
            self.highest_story = code
            yield from self._extend()

    def parse_listing(self, response: Response) -> Iterator[Request]:
        if response.status >= 400:
            self.crawler.stats.inc_value("archive/discovery/unavailable")
            return
        codes = linked_codes(response, self.allowed_domains[0])
        self.crawler.stats.inc_value("archive/discovery/linked_codes", len(codes))
        if not codes:
            return
        # Measured from the highest story known, or in an empty archive from
        # the oldest code listed.
        known = self.highest_story or min(codes)
        strays = {code for code in codes if code > known + self.max_jump}
        for code in sorted(strays - self.strays):
            self.logger.warning(
                "Stray code %s listed at %s: more than LATEST_MAX_JUMP (%s) above the"
                " highest story known (%s); fetched alone",
                code, response.url, self.max_jump, known,
            )  # fmt: skip
            self.crawler.stats.inc_value("archive/discovery/strays")
            self.strays.add(code)
            yield from self.requests_for(code, code, listed=True)
        codes -= strays
        if not codes:
            return
        oldest = min(codes)
        if self.started_empty:
            # An empty archive starts from the oldest story listed, not code 1:
            # older stories are a backfill (`scrapy crawl stories -a codes=...`).
            # A later listing with older entries lowers the start, so no code
            # between the oldest entries of two listings is left out.
            if self.floor is None:
                self.floor, self.frontier = oldest, oldest - 1
            elif oldest < self.floor:
                yield from self.requests_for(oldest, self.floor - 1)
                self.floor = oldest
        # Linked codes are the site's own evidence: asked even when a recent
        # check found nothing there. The gap up to a listed code is filled
        # once the code proves to be a story (story_found), so a link to a
        # code that is not one costs one request, not a sweep.
        for code in sorted(codes):
            yield from self.requests_for(code, code, listed=True)

    def listing_failed(self, failure: Failure) -> None:
        self.run.listing_failed()
        request = failure.request  # type: ignore[attr-defined]
        self.logger.warning("Listing %s failed: %s", request.url, failure_reason(failure))
