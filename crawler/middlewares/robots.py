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
A robots.txt that cannot be fetched (a connection error) still answers None
(allow), as in Scrapy: the story requests meet the same error, and the
reachability watch ends the run. A robots.txt answered with a server error
(5xx) or 429, once retries are spent, is read as RFC 9309 says (section
2.3.1.4): complete disallow. Scrapy would parse the error page as rules
(none) and allow everything, just when the site says it is struggling. Any
other 4xx means there is no robots.txt (2.3.1.3): everything is allowed,
whatever the error page's body says.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)


def means_disallow(status: int) -> bool:
    """Whether robots.txt answered with ``status`` forbids the whole site
    (RFC 9309: a server error; 429 is a server's "not now" too).

    >>> [means_disallow(s) for s in (200, 404, 429, 500, 503)]
    [False, False, True, True, True]
    """
    return status == 429 or 500 <= status <= 599


def robots_txt_of(request: Request) -> str | None:
    """The netloc whose robots.txt ``request`` fetches (or follows a redirect
    of), else None.

    >>> from scrapy import Request
    >>> robots_txt_of(Request("http://a.test:81/robots.txt", meta={"dont_obey_robotstxt": True}))
    'a.test:81'
    >>> moved = {"dont_obey_robotstxt": True, "redirect_urls": ["https://a.test/robots.txt"]}
    >>> robots_txt_of(Request("https://www.a.test/r.txt", meta=moved))
    'a.test'
    >>> robots_txt_of(Request("https://a.test/robots.txt")) is None  # a page, not the check
    True
    """
    if not request.meta.get("dont_obey_robotstxt"):
        return None
    first = urlsplit(request.meta.get("redirect_urls", [request.url])[0])
    return first.netloc if first.path == "/robots.txt" else None


class RobotsUnavailable(IgnoreRequest):
    """A request refused because its site's robots.txt answered a server error."""

    def __init__(self, status: int):
        # "Forbidden by robots.txt" as Scrapy's own refusals, for whoever reads logs.
        super().__init__(f"Forbidden by robots.txt: it answered HTTP {status} (complete disallow)")
        self.status = status


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
        self._statuses: dict[str, int] = {}  # netloc -> robots.txt's HTTP status

    def process_response(self, request: Request, response: Response) -> Response:
        # Placed before the retry middleware, this sees robots.txt's last answer only.
        netloc = robots_txt_of(request)
        if netloc is not None:
            self._statuses[netloc] = response.status
            if means_disallow(response.status):
                logger.warning(
                    "%s answered HTTP %d: read as complete disallow (RFC 9309); "
                    "no page of %s is fetched this run",
                    request.url, response.status, netloc,
                )  # fmt: skip
        return response

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        status = self._statuses.get(urlparse_cached(request).netloc, 200)
        if means_disallow(status):
            self.crawler.stats.inc_value("robotstxt/forbidden")
            raise RobotsUnavailable(status)
        if 400 <= status <= 499:  # no robots.txt: its error page holds no rules
            return
        super().process_request_2(rp, request)

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
