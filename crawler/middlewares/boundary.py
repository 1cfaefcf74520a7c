"""Redirects never leave the site: a redirect to another host or to a scheme
other than http(s) is refused before Scrapy follows it.

Scrapy's OffsiteMiddleware would drop such a redirect silently (no errback),
leaving its code without an answer; refusing it here gives the code a reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response


def refusal(location: str, allowed_hosts: list[str]) -> str | None:
    """Why a redirect target is refused, or None if it stays on the site.

    >>> refusal("/en/news/2", ["127.0.0.1"]) is None
    True
    >>> refusal("http://example.invalid/x", ["127.0.0.1"])
    'redirect to another host refused (example.invalid)'
    >>> refusal("file:///etc/passwd", ["127.0.0.1"])
    'redirect to a file: URL refused'
    """
    parts = urlsplit(location)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return f"redirect to a {parts.scheme}: URL refused"
    if parts.hostname and parts.hostname not in allowed_hosts:
        return f"redirect to another host refused ({parts.hostname})"
    return None


class SiteBoundaryMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteBoundaryMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not 300 <= response.status < 400 or b"Location" not in response.headers:
            return response
        location = (response.headers.get(b"Location") or b"").decode("latin-1")
        allowed = list(getattr(self.crawler.spider, "allowed_domains", None) or [])
        reason = refusal(urljoin(request.url, location), allowed)
        if reason is None:
            return response
        kind = "offsite" if "host" in reason else "scheme"
        self.crawler.stats.inc_value(f"archive/refused/{kind}")
        raise IgnoreRequest(reason)
