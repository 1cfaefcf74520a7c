"""robots.txt before any other request to a site.

Scrapy 2.19's RobotsTxtMiddleware keeps one Deferred per netloc while
robots.txt downloads, and every waiting request awaits that same Deferred.
Awaiting a Deferred adds a callback that returns None, so only the first
waiter gets the parser: every later one sees None, Scrapy's "robots.txt could
not be fetched, allow" answer, and its request leaves unchecked. With
``Disallow: /en/news/`` most of the first burst of story requests went out.

This subclass keeps its own gate per netloc: the first request for a netloc
asks Scrapy's ``robot_parser`` (which downloads and parses robots.txt), every
later request waits on a Deferred of its own that fires with the same answer.
A robots.txt that cannot be fetched still answers None (allow), as in Scrapy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser


class _Answer:
    """A netloc's robots.txt answer, once known, and the requests waiting for it."""

    def __init__(self) -> None:
        self.known = False
        self.parser: RobotParser | None = None
        self.waiting: list[Deferred[RobotParser | None]] = []

    def settle(self, parser: RobotParser | None) -> None:
        self.known, self.parser = True, parser
        waiting, self.waiting = self.waiting, []
        for waiter in waiting:
            waiter.callback(parser)


class RobotsFirstMiddleware(RobotsTxtMiddleware):
    """Drop-in replacement for Scrapy's RobotsTxtMiddleware (same settings)
    that holds every request to a netloc until its robots.txt has answered."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self._answers: dict[str, _Answer] = {}

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        answer = self._answers.get(netloc)
        if answer is None:
            answer = self._answers[netloc] = _Answer()
            parser = None
            try:
                parser = await super().robot_parser(request)
            finally:
                answer.settle(parser)
            return parser
        if answer.known:
            return answer.parser
        waiter: Deferred[RobotParser | None] = Deferred()
        answer.waiting.append(waiter)
        return await maybe_deferred_to_future(waiter)
