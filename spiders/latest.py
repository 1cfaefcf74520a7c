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
    LISTINGS = ("/en", "/en/rss/allnews")

    probe_misses: int

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.highest_story = 0
        self.frontier = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.probe_misses = crawler.settings.getint("LATEST_PROBE_MISSES")
        return spider

    async def start(self) -> AsyncIterator[Request]:
        run = self.attach_run()
        # Known before the first listing can answer: parse_listing relies on it.
        self.highest_story = run.ledger.highest_story_code() or 0
        self.frontier = self.highest_story
        for path in self.LISTINGS:
            yield Request(
                self.site_url + path,
                callback=self.parse_listing,
                errback=self.listing_failed,
                priority=10,
                meta={"handle_httpstatus_list": [404, 410], "listing": True},
            )
        if self.refresh is not None:
            since = (datetime.now(UTC) - self.refresh).isoformat()
            for code in run.ledger.codes_published_since(since):
                if code not in self._requested:
                    run.plan(1)
                    yield self.story_request(code)
        if self.highest_story:
            for request in self._extend():
                yield request

    def _extend(self) -> Iterator[Request]:
        """Ask for every code up to LATEST_PROBE_MISSES past the highest story."""
        target = self.highest_story + self.probe_misses
        if target <= self.frontier:
            return
        low, self.frontier = self.frontier + 1, target
        yield from self.requests_for(low, target, probing=True)

    def story_found(self, code: int) -> Iterator[Request]:
        if code > self.highest_story:
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
        newest = max(codes)
        if not self.frontier:
            # An empty archive starts from the oldest story listed, not code 1:
            # older stories are a backfill (`scrapy crawl stories -a codes=...`).
            self.frontier = min(codes) - 1
        # Linked codes older than what we probe are still new to us if unknown.
        for code in sorted(c for c in codes if c <= self.frontier):
            yield from self.requests_for(code, code)
        if newest > self.highest_story:
            self.highest_story = newest
            yield from self._extend()

    def listing_failed(self, failure: Failure) -> None:
        self.run.listing_failed()
        request = failure.request  # type: ignore[attr-defined]
        self.logger.warning("Listing %s failed: %s", request.url, failure_reason(failure))
