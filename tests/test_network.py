"""The network boundary: every way off the site is refused and counted, response
headers are bounded, and robots.txt answers before any story request leaves."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from twisted.internet.protocol import Factory
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.web.client import Headers, HTTP11ClientProtocol
from twisted.web.client import Request as TxRequest

from crawler.ledger import State
from crawler.middlewares.boundary import SiteBoundaryMiddleware
from crawler.middlewares.headers import HeadBoundFactory
from tests.crawling import crawl
from tests.measuring import crawl_cli_peak
from tests.replica import ReplicaSite, make_story
from tests.test_crawl_stories import ledger_state, without_crawl_time

QUICK_RETRY = {"RETRY_TIMES": 1}

SITE = "http://127.0.0.1:8080"
MiB = 1024 * 1024


# --- the boundary, in-process ---------------------------------------------------------


def boundary(**settings: object) -> SiteBoundaryMiddleware:
    crawler = get_crawler(settings_dict={"SITE_URL": SITE, **settings})
    crawler.stats.open_spider()
    return SiteBoundaryMiddleware.from_crawler(crawler)


def page(url: str, body: str, **headers: str) -> HtmlResponse:
    return HtmlResponse(url, body=body.encode(), headers=headers, encoding="utf-8")


@pytest.mark.parametrize(
    ("response", "kind", "reason"),
    [
        (
            page(f"{SITE}/en/news/1", "", Location="http://127.0.0.1:9/en/news/1"),
            "port",
            "refused: redirect to another port (127.0.0.1:9)",
        ),
        (
            page(
                f"{SITE}/en/news/1",
                '<meta http-equiv="refresh" content="0;url=http://127.0.0.2:8080/x">',
            ),
            "offsite",
            "refused: meta refresh to another host (127.0.0.2)",
        ),
        (
            page(f"{SITE}/en/news/1", "<p>story</p>", Refresh="1; url=https://127.0.0.1:8080/"),
            "scheme",
            "refused: Refresh header to another scheme (https:)",
        ),
    ],
    ids=["3xx-port", "meta-refresh-host", "refresh-header-scheme"],
)
def test_every_way_off_the_site_is_refused_and_counted(response, kind, reason) -> None:
    if "Location" in response.headers:
        response = response.replace(status=302)
    middleware = boundary()
    with pytest.raises(IgnoreRequest, match=f"^{re.escape(reason)}$"):
        middleware.process_response(Request(response.url), response)
    assert middleware.stats.get_stats() == {f"archive/refused/{kind}": 1}


def test_ways_that_stay_on_the_site_or_are_not_followed_pass() -> None:
    middleware = boundary()
    request = Request(f"{SITE}/en/news/1")
    same_site = page(request.url, '<meta http-equiv="refresh" content="0;url=/en/news/1/slug">')
    slow_refresh = page(request.url, "<p>story</p>", Refresh="3600; url=http://127.0.0.2/")
    not_a_redirect = page(request.url, "<p>story</p>", Location="http://127.0.0.2/")
    for response in (same_site, slow_refresh, not_a_redirect):
        assert middleware.process_response(request, response) is response
    assert middleware.stats.get_stats() == {}


# --- the boundary, in real crawls -----------------------------------------------------


@pytest.fixture
def other_host() -> Iterator[ReplicaSite]:
    """Another site on another loopback address, serving the same codes."""
    with ReplicaSite().start(host="127.0.0.2") as site:
        yield site


@pytest.fixture
def other_port() -> Iterator[ReplicaSite]:
    """Another site on the same address, another port."""
    with ReplicaSite() as site:
        yield site


CODE = 491000


@pytest.mark.parametrize(
    ("kind", "way", "elsewhere", "stat", "reason"),
    [
        ("redirect_to", "url", "other_host", "offsite", "redirect to another host (127.0.0.2)"),
        ("redirect_to", "url", "other_port", "port", "redirect to another port ({netloc})"),
        ("meta_refresh", "url", "other_host", "offsite", "meta refresh to another host"),
        ("meta_refresh", "url", "other_port", "port", "meta refresh to another port ({netloc})"),
        ("refresh_header", "url", "other_host", "offsite", "Refresh header to another host"),
        ("refresh_header", "url", "other_port", "port", "Refresh header to another port"),
        ("redirect_to", "userinfo", "other_host", "userinfo", "redirect to a URL with user info"),
    ],
    ids=[
        "3xx-host",
        "3xx-port",
        "meta-refresh-host",
        "meta-refresh-port",
        "refresh-header-host",
        "refresh-header-port",
        "userinfo",
    ],
)
def test_leaving_the_site_is_refused_and_the_other_site_never_asked(
    request, replica, archive_dir, kind, way, elsewhere, stat, reason
) -> None:
    other: ReplicaSite = request.getfixturevalue(elsewhere)
    story = other.add_story(make_story(CODE))
    if way == "userinfo":
        # WHATWG parsers (w3lib, browsers) read host 127.0.0.2; urllib reads 127.0.0.1.
        site_port = replica.url.rsplit(":", 1)[1]
        target = f"http://127.0.0.2:{other.url.rsplit(':', 1)[1]}\\@127.0.0.1:{site_port}"
        replica.set_fault(CODE, "redirect_to", target=target + story.path)
    else:
        replica.set_fault(CODE, kind, target=other.url + story.path)
    result = crawl("stories", replica.url, archive_dir, codes=str(CODE))
    assert result.records() == []
    state = ledger_state(archive_dir, CODE)
    assert state.state is State.FAILED
    expected = "refused: " + reason.format(netloc=other.url.removeprefix("http://"))
    assert state.detail.startswith(expected)
    assert result.stat(f"archive/refused/{stat}") == 1
    assert other.requests_total() == 0
    assert replica.story_requests(CODE) == 1


def test_meta_refresh_on_the_site_is_followed(replica, archive_dir) -> None:
    story = replica.add_story(make_story(CODE))
    replica.set_fault(CODE, "meta_refresh", target=replica.url + story.path, times=1)
    result = crawl("stories", replica.url, archive_dir, codes=str(CODE))
    (record,) = result.records()
    assert without_crawl_time(record) == story.expected_record(replica.url)
    assert replica.count(story.path) == 1
    assert not any(key.startswith("archive/refused/") for key in result.stats)


# --- headers ------------------------------------------------------------------------------


def test_endless_headers_fail_with_their_reason_and_memory_stays_bounded(
    replica, archive_dir, tmp_path
) -> None:
    replica.add_story(make_story(492000))
    story = replica.add_story(make_story(492001))
    # Without the bound: 100 MB of headers, then the page, all held in memory.
    replica.set_fault(492000, "endless_headers", size=100_000_000)
    unbounded, unbounded_peak = crawl_cli_peak(
        "stories",
        replica.url,
        tmp_path / "unbounded",
        settings={"DOWNLOAD_MAXHEADERSIZE": 0, "DOWNLOAD_TIMEOUT": 600},
        codes="492000",
    )
    assert unbounded.exit_status == 0, unbounded.log
    # With it (the default, 64 KiB): headers that never end.
    replica.set_fault(492000, "endless_headers")
    result, peak = crawl_cli_peak("stories", replica.url, archive_dir, codes="492000-492001")
    assert [without_crawl_time(r) for r in result.records()] == [story.expected_record(replica.url)]
    state = ledger_state(archive_dir, 492000)
    assert (state.state, state.detail) == (
        State.FAILED,
        "response headers over DOWNLOAD_MAXHEADERSIZE (65536 bytes)",
    )
    assert replica.story_requests(492000) == 2  # one per crawl: not retried
    assert result.exit_status == 3
    assert peak < unbounded_peak - 80 * MiB, (peak // MiB, unbounded_peak // MiB)


def test_a_head_just_under_the_bound_is_read(replica, archive_dir) -> None:
    story = replica.add_story(make_story(492100))
    replica.set_fault(492100, "endless_headers", size=60 * 1024)
    result = crawl("stories", replica.url, archive_dir, codes="492100")
    assert [without_crawl_time(r) for r in result.records()] == [story.expected_record(replica.url)]


# --- robots.txt ---------------------------------------------------------------------------


def test_robots_txt_answers_before_any_story_request(replica, archive_dir) -> None:
    codes = range(500021, 500071)
    replica.add_stories(make_story(code) for code in codes)
    replica.robots = "User-agent: *\nDisallow: /en/news/\n"
    result = crawl("stories", replica.url, archive_dir, codes="500021-500070")
    assert sum(replica.story_requests(code) for code in codes) == 0
    assert replica.log == [("GET", "/robots.txt")]
    states = {(s.state, s.detail) for s in (ledger_state(archive_dir, code) for code in codes)}
    assert states == {(State.BLOCKED, "disallowed by robots.txt")}
    assert result.exit_status == 4


def test_robots_txt_allowing_some_paths_lets_exactly_those_through(replica, archive_dir) -> None:
    replica.add_stories(make_story(code) for code in range(500100, 500120))
    replica.robots = "User-agent: *\nDisallow: /en/news/50011\n"
    result = crawl("stories", replica.url, archive_dir, codes="500100-500119")
    assert sorted(r["story_code"] for r in result.records()) == list(range(500100, 500110))
    assert sum(replica.story_requests(code) for code in range(500110, 500120)) == 0


@pytest.mark.parametrize("status", [500, 503, 429])
def test_robots_txt_answering_a_server_error_forbids_the_site(replica, archive_dir, status) -> None:
    # RFC 9309, 2.3.1.4: a server error for robots.txt means complete disallow.
    codes = range(500130, 500135)
    replica.add_stories(make_story(code) for code in codes)
    replica.robots_statuses = [status]
    result = crawl("stories", replica.url, archive_dir, settings=QUICK_RETRY, codes="500130-500134")
    assert sum(replica.story_requests(code) for code in codes) == 0
    assert replica.count("/robots.txt") == 2  # the first answer and its one retry
    states = {(s.state, s.detail) for s in (ledger_state(archive_dir, code) for code in codes)}
    assert states == {(State.BLOCKED, f"robots.txt answered HTTP {status}: complete disallow")}
    assert result.exit_status == 4


def test_robots_txt_recovering_within_its_retries_is_obeyed(replica, archive_dir) -> None:
    replica.add_stories(make_story(code) for code in range(500140, 500144))
    replica.robots = "User-agent: *\nDisallow: /en/news/500142\n"
    replica.robots_statuses = [503, 200]
    result = crawl("stories", replica.url, archive_dir, settings=QUICK_RETRY, codes="500140-500143")
    assert sorted(r["story_code"] for r in result.records()) == [500140, 500141, 500143]
    assert ledger_state(archive_dir, 500142).detail == "disallowed by robots.txt"


@pytest.mark.parametrize("status", [404, 410, 403])
def test_robots_txt_missing_or_refused_allows_everything(replica, archive_dir, status) -> None:
    # RFC 9309, 2.3.1.3: robots.txt "unavailable" (4xx) lets a crawler in.
    replica.add_stories(make_story(code) for code in range(500150, 500153))
    replica.robots = "User-agent: *\nDisallow: /\n"  # an error page's body, never rules
    replica.robots_statuses = [status]
    result = crawl("stories", replica.url, archive_dir, codes="500150-500152")
    assert sorted(r["story_code"] for r in result.records()) == [500150, 500151, 500152]
    assert result.exit_status == 0


# --- the header bound, in-process ----------------------------------------------------------


class _Connection:
    """Twisted's HTTP/1.1 client protocol behind HeadBoundProtocol, on a fake socket."""

    def __init__(self, limit: int) -> None:
        self.quiescent: list[object] = []
        factory = HeadBoundFactory(_ClientFactory(self.quiescent.append), limit)
        self.wrapper = factory.buildProtocol(None)
        self.transport = StringTransport()
        self.wrapper.makeConnection(self.transport)

    def ask(self) -> list[Failure | object]:
        """Send a GET; the list gets the response or the failure."""
        outcome: list[Failure | object] = []
        headers = Headers({b"Host": [b"site"]})
        request = TxRequest(b"GET", b"/en/news/1", headers, None, persistent=True)
        self.wrapper.request(request).addBoth(outcome.append)
        return outcome


class _ClientFactory(Factory):
    def __init__(self, quiescent: Callable[[object], None]) -> None:
        self.quiescent = quiescent

    def buildProtocol(self, addr: object) -> HTTP11ClientProtocol:
        return HTTP11ClientProtocol(self.quiescent)


def _response(extra_headers: bytes = b"", body: bytes = b"ok") -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%b\r\n" % (len(body), extra_headers)
    return head + body


def test_a_head_over_the_bound_fails_even_on_a_kept_alive_connection() -> None:
    connection = _Connection(limit=200)
    first = connection.ask()
    connection.wrapper.dataReceived(_response())
    assert first[0].code == 200 and connection.quiescent  # type: ignore[union-attr]
    second = connection.ask()
    connection.wrapper.dataReceived(_response(b"X-Filler: " + b"x" * 200 + b"\r\n"))
    (failure,) = second
    assert isinstance(failure, Failure)
    reasons = [reason.value for reason in failure.value.reasons]
    assert [str(reason) for reason in reasons] == [
        "response headers over DOWNLOAD_MAXHEADERSIZE (200 bytes)"
    ]
    assert connection.transport.disconnecting


def test_a_body_past_the_head_does_not_count_towards_the_bound() -> None:
    connection = _Connection(limit=60)
    outcome = connection.ask()
    response = _response(body=b"x" * 1000)
    for byte in response[:-1000]:  # the head one byte at a time: its blank line split too
        connection.wrapper.dataReceived(bytes([byte]))
    connection.wrapper.dataReceived(response[-1000:])
    assert outcome[0].code == 200  # type: ignore[union-attr]
    assert not connection.transport.disconnecting
