"""One boundary for every way a response can send the crawler elsewhere.

A 3xx ``Location``, a ``<meta http-equiv="refresh">`` and a ``Refresh`` header
are all checked against ``SITE_URL`` by the same rule: same scheme, same host,
same port, and no user info. Anything else is refused with an
``IgnoreRequest`` whose reason starts with ``"refused: "`` and is counted
under ``archive/refused/<kind>``.

The middleware sits above RedirectMiddleware (600) and MetaRefreshMiddleware
(580): process_response runs in decreasing priority order, so it sees the
response before either of them builds the next request. Scrapy's
OffsiteMiddleware would otherwise drop an offsite redirect silently (no
errback), leaving its code without an answer, and it does not look at ports.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urljoin, urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.response import get_meta_refresh
from w3lib.html import get_meta_refresh as meta_refresh_in_html
from w3lib.url import safe_url_string

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}


class Refusal(NamedTuple):
    """Why a target is refused: ``kind`` names the stat, ``reason`` the code's detail."""

    kind: str
    reason: str


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and effective port of an absolute URL (port None: unreadable).

    >>> _origin("https://Example.org/x")
    ('https', 'example.org', 443)
    >>> _origin("http://127.0.0.1:8080")
    ('http', '127.0.0.1', 8080)
    """
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        port = None
    return parts.scheme, parts.hostname or "", port


def refusal(target: str, site_url: str, how: str = "redirect") -> Refusal | None:
    """Why the absolute URL ``target`` is refused as a way off ``site_url``, or None.

    >>> site = "http://127.0.0.1:8080"
    >>> refusal("http://127.0.0.1:8080/en/news/2", site) is None
    True
    >>> refusal("http://example.invalid/x", site)
    Refusal(kind='offsite', reason='refused: redirect to another host (example.invalid)')
    >>> refusal("http://127.0.0.1:9090/x", site, "meta refresh")
    Refusal(kind='port', reason='refused: meta refresh to another port (127.0.0.1:9090)')
    >>> refusal("https://127.0.0.1:8080/x", site).reason
    'refused: redirect to another scheme (https:)'
    >>> refusal("file:///etc/passwd", site).reason
    'refused: redirect to another scheme (file:)'
    >>> refusal("http://127.0.0.2:9\\\\@127.0.0.1:8080/x", site).reason
    'refused: redirect to a URL with user info (127.0.0.2:9\\\\@127.0.0.1:8080)'
    >>> refusal("https://www.theiranproject.com:443/x", "https://www.theiranproject.com") is None
    True
    """
    site_scheme, site_host, site_port = _origin(site_url)
    parts = urlsplit(target)
    if parts.scheme != site_scheme:
        return Refusal("scheme", f"refused: {how} to another scheme ({parts.scheme}:)")
    # Parsers disagree about "a\@b": WHATWG (browsers, w3lib) reads host a, urllib
    # reads host b. Whatever the reading, user info in a way off the site is a trick.
    if "@" in parts.netloc or "\\" in parts.netloc:
        return Refusal("userinfo", f"refused: {how} to a URL with user info ({parts.netloc})")
    _, host, port = _origin(target)
    if host != site_host:
        return Refusal("offsite", f"refused: {how} to another host ({host})")
    if port is None or port != site_port:
        return Refusal("port", f"refused: {how} to another port ({parts.netloc})")
    return None


def refresh_header_target(value: str, base_url: str) -> tuple[float, str] | None:
    """Delay and absolute URL of a ``Refresh`` header, read as meta refresh is read.

    >>> refresh_header_target("0; url=http://other.invalid/x", "http://site/a")
    (0.0, 'http://other.invalid/x')
    >>> refresh_header_target("5;URL='/b'", "http://site/a")
    (5.0, 'http://site/b')
    >>> refresh_header_target("30", "http://site/a") is None
    True
    """
    tag = f'<meta http-equiv="refresh" content="{html.escape(value)}">'
    interval, url = meta_refresh_in_html(tag, base_url)
    return None if url is None else (interval or 0.0, url)


class SiteBoundaryMiddleware:
    """Refuses 3xx, meta refresh and ``Refresh`` targets off ``SITE_URL``.

    ``SITE_BOUNDARY_ENABLED`` (default True) turns it off.
    """

    def __init__(self, crawler: Crawler, site_url: str):
        self.stats = crawler.stats
        self.site_url = site_url
        settings = crawler.settings
        self.metarefresh = settings.getbool("METAREFRESH_ENABLED")
        self.metarefresh_maxdelay = settings.getfloat("METAREFRESH_MAXDELAY")
        self.metarefresh_ignore_tags = settings.getlist("METAREFRESH_IGNORE_TAGS")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteBoundaryMiddleware:
        if not crawler.settings.getbool("SITE_BOUNDARY_ENABLED", True):
            raise NotConfigured("SITE_BOUNDARY_ENABLED is off")
        site_url = str(crawler.settings.get("SITE_URL") or "")
        if not urlsplit(site_url).hostname:
            raise NotConfigured("SITE_URL has no host")
        return cls(crawler, site_url)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("dont_redirect"):
            return response
        for how, target in self._targets(request, response):
            refused = refusal(target, self.site_url, how)
            if refused is not None:
                self.stats.inc_value(f"archive/refused/{refused.kind}")
                raise IgnoreRequest(refused.reason)
        return response

    def _targets(self, request: Request, response: Response) -> list[tuple[str, str]]:
        """Every place this response would send the crawler, as (how, absolute URL)."""
        targets = []
        location = response.headers.get(b"Location")
        if response.status in REDIRECT_STATUSES and location is not None:
            # As sent, so that a user-info trick is named as one, then as
            # RedirectMiddleware reads it (WHATWG rules, and a scheme-relative
            # Location keeps the request's scheme), which is what would be fetched.
            targets.append(("redirect", urljoin(request.url, location.decode("latin-1"))))
            url = safe_url_string(location)
            if location.startswith(b"//"):
                url = f"{urlsplit(request.url).scheme}:{url}"
            targets.append(("redirect", urljoin(request.url, url)))
        refresh = response.headers.get(b"Refresh")
        if refresh is not None:
            found = refresh_header_target(refresh.decode("latin-1"), request.url)
            if found is not None and found[0] < self.metarefresh_maxdelay:
                targets.append(("Refresh header", found[1]))
        if self.metarefresh and isinstance(response, HtmlResponse):
            delay, refresh_url = get_meta_refresh(
                response, ignore_tags=self.metarefresh_ignore_tags
            )
            if refresh_url is not None and (delay or 0.0) < self.metarefresh_maxdelay:
                targets.append(("meta refresh", refresh_url))
        return targets
