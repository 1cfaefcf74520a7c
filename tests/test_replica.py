"""The replica site answers like the real one would, and breaks exactly as asked.

Every test talks HTTP to a started ``ReplicaSite`` on 127.0.0.1; nothing leaves the host.
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from hashlib import sha256
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import brotli
import lxml.html
import pytest

from tests.replica import ReplicaSite, Story, make_story, render_story
from tests.replica.faults import JUNK, OFFSITE_HOSTS, PERSIAN_PARAGRAPH, SCHEME_TARGETS
from tests.replica.stories import TEHRAN, normalize

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
REAL_SITE = "https://www.theiranproject.com"


@pytest.fixture
def site() -> Iterator[ReplicaSite]:
    with ReplicaSite() as replica:
        yield replica


def connect(site: ReplicaSite, timeout: float = 5) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", urlsplit(site.url).port, timeout=timeout)


def get(site: ReplicaSite, path: str) -> tuple[int, Message, bytes]:
    """One GET on a fresh connection; redirects are returned, not followed."""
    conn = connect(site)
    try:
        conn.request("GET", path)
        with conn.getresponse() as response:
            return response.status, response.headers, response.read()
    finally:
        conn.close()


# --- stories and expected records ------------------------------------------------------


def fixture_story(name: str, byline: str) -> tuple[Story, dict[str, Any]]:
    """A Story holding a fixture page's expected content, and that expected record."""
    data = json.loads((FIXTURES / "expected" / f"{name}.json").read_text(encoding="utf-8"))
    story = Story(
        code=data["story_code"],
        title=data["title"],
        lead=data["lead"],
        body=data["body"].split("\n\n"),
        published=datetime.fromisoformat(data["published_at"]),
        source=byline,
        section=data["section"],
        kicker=data["kicker"],
        tags=data["tags"],
        images=data["images"],
        slug=data["url"].rsplit("/", 1)[1],
        layout=data["layout"],
    )
    data["images"] = [urljoin(REAL_SITE, src) for src in data["images"]]
    return story, {**data, "revision": 1, "previous_sha256": None}


@pytest.mark.parametrize(
    ("name", "byline"),
    [("story-406025", "By Mehr"), ("story-412380-iransamaneh-variant", "Source: IRNA")],
)
def test_expected_record_reproduces_the_fixture_records(name: str, byline: str) -> None:
    story, expected = fixture_story(name, byline)
    assert story.expected_record(REAL_SITE) == expected


def test_make_story_is_deterministic_and_overridable() -> None:
    assert make_story(7) == make_story(7)
    assert make_story(7, seed=1) != make_story(7)
    story = make_story(7, title="Iran & Oman: “talks”", source="By Mehr News Agency")
    assert (story.slug, story.source_short) == ("iran-oman-talks", "Mehr")
    assert make_story(7, source=None).source_short is None
    with pytest.raises(TypeError):
        make_story(7, headline="x")


def test_make_story_varies_like_the_site() -> None:
    stories = [make_story(code, family="AB"[code % 2]) for code in range(1000, 1300)]
    records = [s.expected_record("http://h") for s in stories]
    assert {r["published_at"][-6:] for r in records} == {"+04:30", "+03:30"}
    assert {len(s.body) for s in stories} == set(range(3, 13))
    assert {len(s.images) for s in stories} == {0, 1, 2}
    assert {len(s.tags) for s in stories} == set(range(5))
    assert None in {r["lead"] for r in records} and None in {r["source"] for r in records}
    assert {"Mehr", "IRNA", "Tasnim", "Press TV"} <= {r["source"] for r in records}
    assert len({r["content_sha256"] for r in records}) == len(records)
    text = "".join(s.title + "".join(s.body) for s in stories)
    assert all(ch in text for ch in '&<>"\u2019\u201c\u00a0\u062a')


def test_story_moves_published_to_tehran_minutes() -> None:
    story = Story(1, published=datetime(2021, 7, 1, 10, 30, 45))
    assert story.expected_record("http://h")["published_at"] == "2021-07-01T10:30:00+04:30"
    with pytest.raises(ValueError):
        Story(1, family="C")


def extract(page: bytes, story: Story, base_url: str) -> dict[str, Any]:
    """Read a generated page back with the SITE.md selectors (independent of the crawler)."""
    doc = lxml.html.fromstring(page)

    def texts(selector: str) -> list[str]:
        return [normalize(node.text_content()) for node in doc.cssselect(selector)]

    a = story.family == "A"
    paragraphs = [p for p in texts("#doctextarea article p" if a else ".body > p") if p]
    byline = paragraphs.pop() if story.source else None
    title = texts("h1#docDiv3TitrMain" if a else "h1.title")[0]
    lead = (texts("#docDivLead3 > div" if a else ".subtitle") or [None])[0]
    body = "\n\n".join(paragraphs)
    stamp = texts("#docDiv3Date" if a else ".news_pdate_c")[0].removeprefix("Publish Date : ")
    published = datetime.strptime(stamp, "%A %d %b %Y - %H:%M" if a else "%A %d %B %Y - %H:%M")
    crumbs = [c for c in texts(".doc-section-info a" if a else ".news_path a") if c != "Home"]
    images = doc.cssselect(".doc-image img, #doctextarea img" if a else ".body img")
    code = re.search(r"Story Code : (\d+)", texts("#docDocID" if a else ".news_id_c")[0])
    assert code is not None
    return {
        "story_code": int(code.group(1)),
        "url": doc.cssselect("link[rel=canonical]")[0].get("href"),
        "language": "en",
        "title": title,
        "kicker": texts("#docDiv3TitrRou" if a else ".rutitr")[0] or None,
        "lead": lead,
        "body": body,
        "published_at": published.replace(tzinfo=TEHRAN).isoformat(),
        "source": byline and re.sub(r"^(By|Source:) | News Agency$", "", byline),
        "section": crumbs[-1] if crumbs else None,
        "tags": texts(".doc_tags1 a" if a else ".tags_container a"),
        "images": [urljoin(base_url, img.get("src")) for img in images],
        "layout": "newsstudio-classic" if a else "iransamaneh",
        "content_sha256": sha256(f"{title}\n{lead or ''}\n{body}".encode()).hexdigest(),
        "revision": 1,
        "previous_sha256": None,
    }


TRICKY = {
    "title": "Iran\u00a0&amp; <Oman>  sign \u201cdeal\u201d",
    "lead": "  A lead with\u00a0NBSP, 'quotes' & \"more\"  ",
    "body": ["First  line\nwraps.", "", "\u062a\u0647\u0631\u0627\u0646 & <b>not bold</b>"],
    "kicker": "",
    "source": "By Tasnim News Agency",
}


@pytest.mark.parametrize("family", ["A", "B"])
@pytest.mark.parametrize("overrides", [{}, TRICKY], ids=["generated", "tricky"])
def test_pages_show_exactly_the_expected_record(family: str, overrides: dict[str, Any]) -> None:
    for code in range(2000, 2040):
        story = make_story(code, family=family, **overrides)
        page = render_story(story, base_url="http://h:1")
        assert extract(page, story, "http://h:1") == story.expected_record("http://h:1")


@pytest.mark.parametrize("family", ["A", "B"])
def test_pad_to_gives_exact_page_size(family: str) -> None:
    story = make_story(3, family=family)
    assert len(render_story(story, pad_to=35_000)) == 35_000
    assert render_story(story, pad_to=10) == render_story(story)


# --- story pages over HTTP -------------------------------------------------------------


def test_family_a_page_carries_the_fixture_fields(site: ReplicaSite) -> None:
    story = site.add_story(make_story(406025, published=datetime(2023, 5, 11, 15, 52)))
    status, headers, page = get(site, story.path)
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert int(headers["Content-Length"]) == len(page)
    for needle in (
        '<div id="docDiv3Date" class="doc_date">Thursday 11 May 2023 - 15:52</div>',
        '<div id="docDocID" class="doc_id">Story Code : 406025</div>',
        f'<link rel="canonical" href="{site.url}{story.path}">',
        '<meta name="dcterms.created" content="2023-05-11T15:52:00+03:30">',
        "Your Name",
        "Your Email Address",
    ):
        assert needle.encode() in page


def test_family_b_page_carries_the_fixture_fields(site: ReplicaSite) -> None:
    story = site.add_story(
        make_story(412380, family="B", published=datetime(2024, 1, 14, 9, 41), source="By IRNA")
    )
    status, _, page = get(site, f"/en/news/{story.code}")
    assert status == 200
    for needle in (
        '<span class="news_nav_title">Publish Date : </span>Sunday 14 January 2024 - 09:41',
        '<span class="news_nav_title">Story Code : </span>412380</div>',
        '<meta property="article:published_time" content="2024-01-14T09:41:00+03:30">',
        "<p>By IRNA</p>\n    </div>",
    ):
        assert needle.encode() in page


def test_story_edited_in_place_is_served_edited(site: ReplicaSite) -> None:
    story = site.add_story(make_story(10))
    before = get(site, story.path)[2]
    story.body.append("Update: the talks were postponed.")
    after = get(site, story.path)[2]
    assert b"Update: the talks" not in before and b"Update: the talks" in after


def test_restarted_site_renders_its_new_url() -> None:
    site = ReplicaSite(stories=[make_story(1)])
    with site:
        first_url, first = site.url, get(site, "/en/news/1")[2]
    with site:
        assert site.url.encode() in get(site, "/en/news/1")[2]
    assert first_url.encode() in first


def test_story_answers_with_and_without_slug(site: ReplicaSite) -> None:
    story = site.add_story(make_story(10))
    pages = {get(site, path)[2] for path in (story.path, "/en/news/10", "/en/news/10/other?x=1")}
    assert len(pages) == 1


@pytest.mark.parametrize("name", ["story-406025.html", "story-412380-iransamaneh-variant.html"])
def test_fixture_pages_are_served_byte_for_byte(site: ReplicaSite, name: str) -> None:
    page = (FIXTURES / "pages" / name).read_bytes()
    code = int(re.findall(r"\d+", name)[0])
    site.set_page(code, page)
    status, headers, body = get(site, f"/en/news/{code}/any-slug")
    assert (status, headers["Content-Type"], body) == (200, "text/html; charset=utf-8", page)


def test_set_page_takes_status_and_headers(site: ReplicaSite) -> None:
    site.set_page(5, b"<p>x</p>", status=503, headers={"Content-Type": "text/plain", "X-A": "1"})
    status, headers, body = get(site, "/en/news/5")
    assert (status, headers["Content-Type"], headers["X-A"], body) == (
        503,
        "text/plain",
        "1",
        b"<p>x</p>",
    )


def test_site_pads_story_pages() -> None:
    with ReplicaSite(stories=[make_story(1), make_story(2, family="B")], pad_to=35_000) as site:
        assert [len(get(site, f"/en/news/{code}")[2]) for code in (1, 2)] == [35_000, 35_000]


# --- missing stories and redirects -------------------------------------------------------


def test_unknown_codes_and_paths_are_404(site: ReplicaSite) -> None:
    site.add_story(make_story(1))
    for path in ("/en/news/2", "/en/news/abc", "/en/other", "/images/x.jpg"):
        assert get(site, path)[0] == 404
    site.remove_story(1)
    assert get(site, "/en/news/1")[0] == 404


def test_not_found_kinds(site: ReplicaSite) -> None:
    for code, kind in enumerate(("404", "410", "error_page", "redirect_home"), start=1):
        site.add_story(make_story(code))
        site.set_not_found(code, kind)
    assert [get(site, f"/en/news/{code}")[0] for code in (1, 2, 3, 4)] == [404, 410, 200, 302]
    page = get(site, "/en/news/3")[2]
    assert b"The requested news was not found" in page and b"Story Code" not in page
    assert get(site, "/en/news/4")[1]["Location"] == f"{site.url}/en"
    with pytest.raises(ValueError):
        site.set_not_found(5, "gone")


def test_redirects_to_another_story(site: ReplicaSite) -> None:
    target = site.add_story(make_story(20))
    site.set_redirect(10, 20)
    site.set_redirect(11, 20, status=302)
    site.set_redirect(12, 99)
    assert get(site, "/en/news/10/old")[0] == 301
    assert get(site, "/en/news/10")[1]["Location"] == site.url + target.path
    assert get(site, "/en/news/11")[0] == 302
    assert get(site, "/en/news/12")[1]["Location"] == f"{site.url}/en/news/99"


# --- home page, feed, robots ---------------------------------------------------------------


def test_home_links_newest_stories(site: ReplicaSite) -> None:
    site.add_stories(make_story(code) for code in range(100, 130))
    site.set_not_found(129, "404")
    for path in ("/", "/en"):
        status, _, page = get(site, path)
        codes = [int(c) for c in re.findall(rb'href="/en/news/(\d+)/', page)]
        assert (status, codes) == (200, list(range(128, 108, -1)))
    assert b'href="/en/services/3/defense"' in page
    site.home_count = 3
    assert re.findall(rb'href="/en/news/(\d+)/', get(site, "/en")[2]) == [b"128", b"127", b"126"]


def test_feed_lists_newest_30(site: ReplicaSite) -> None:
    site.add_stories(make_story(code) for code in range(1, 41))
    status, headers, body = get(site, "/en/rss/allnews")
    items = ElementTree.fromstring(body).findall("channel/item")
    assert (status, headers["Content-Type"], len(items)) == (
        200,
        "application/rss+xml; charset=utf-8",
        30,
    )
    newest = site.stories()[-1]
    assert items[0].findtext("link") == site.url + newest.path
    assert items[0].findtext("title") == newest.title
    assert parsedate_to_datetime(items[0].findtext("pubDate") or "") == newest.published
    site.feed_enabled = False
    assert get(site, "/en/rss/allnews")[0] == 404


def test_robots_is_mutable(site: ReplicaSite) -> None:
    assert get(site, "/robots.txt")[2] == b"User-agent: *\nAllow: /\n"
    site.robots = "User-agent: *\nDisallow: /en/news/\n"
    assert get(site, "/robots.txt")[2] == b"User-agent: *\nDisallow: /en/news/\n"


# --- faults -----------------------------------------------------------------------------


def test_status_fault_flaky_then_good(site: ReplicaSite) -> None:
    site.add_story(make_story(1))
    site.set_fault(1, "status", status=502, times=2)
    assert [get(site, "/en/news/1")[0] for _ in range(3)] == [502, 502, 200]
    site.set_fault(1, "status")
    assert [get(site, "/en/news/1")[0] for _ in range(3)] == [503, 503, 503]
    site.clear_fault(1)
    assert get(site, "/en/news/1")[0] == 200


def test_429_has_retry_after(site: ReplicaSite) -> None:
    site.set_fault(1, "429", retry_after=7)
    status, headers, _ = get(site, "/en/news/1")
    assert (status, headers["Retry-After"]) == (429, "7")


def test_slow_delays_the_headers(site: ReplicaSite) -> None:
    site.add_story(make_story(1))
    site.set_fault(1, "slow", delay=0.3, times=1)
    started = time.monotonic()
    assert get(site, "/en/news/1")[0] == 200
    assert time.monotonic() - started >= 0.3


def test_stall_body_sends_part_then_hangs(site: ReplicaSite) -> None:
    story = site.add_story(make_story(1))
    site.set_fault(1, "stall_body", delay=0.4)
    conn = connect(site)
    try:
        started = time.monotonic()
        conn.request("GET", "/en/news/1")
        with conn.getresponse() as response:
            assert response.status == 200  # the headers came first
            body = response.read()
        assert time.monotonic() - started >= 0.4
    finally:
        conn.close()
    assert body == render_story(story, base_url=site.url)


def test_stop_ends_stalled_connections(site: ReplicaSite) -> None:
    site.set_fault(1, "stall_body", delay=600)
    conn = connect(site)
    conn.request("GET", "/en/news/1")
    response = conn.getresponse()
    # Waited on as a guard, not a measure: a stop that waited for the stall
    # would take ten minutes.
    stopping = threading.Thread(target=site.stop)
    stopping.start()
    stopping.join(timeout=60)
    assert not stopping.is_alive()
    response.close()
    conn.close()


def test_reset_aborts_the_connection(site: ReplicaSite) -> None:
    site.set_fault(1, "reset")
    conn = connect(site)
    try:
        conn.request("GET", "/en/news/1")
        with pytest.raises(ConnectionResetError), conn.getresponse() as response:
            response.read()
    finally:
        conn.close()


def test_short_body_is_incomplete(site: ReplicaSite) -> None:
    site.set_fault(1, "short_body")
    conn = connect(site)
    try:
        conn.request("GET", "/en/news/1")
        with pytest.raises(http.client.IncompleteRead), conn.getresponse() as response:
            response.read()
    finally:
        conn.close()


def test_oversize_is_a_valid_page_of_the_given_size(site: ReplicaSite) -> None:
    story = site.set_fault(1, "oversize", size=300_000)
    status, _, page = get(site, "/en/news/1")
    assert (status, len(page)) == (200, 300_000)
    assert story == make_story(1) and b"Story Code : 1</div>" in page


@pytest.mark.parametrize(
    ("kind", "encoding", "decompress"),
    [
        ("gzip_bomb", "gzip", gzip.decompress),
        ("deflate_bomb", "deflate", zlib.decompress),
        ("brotli_bomb", "br", brotli.decompress),
    ],
)
def test_bombs_expand_to_the_given_size(
    site: ReplicaSite, kind: str, encoding: str, decompress: Any
) -> None:
    site.set_fault(1, kind, size=3_000_000)
    status, headers, body = get(site, "/en/news/1")
    assert (status, headers["Content-Encoding"]) == (200, encoding)
    assert len(body) < 30_000
    assert decompress(body) == b" " * 3_000_000


def test_nested_page_holds_deep_divs(site: ReplicaSite) -> None:
    site.set_fault(1, "nested")
    page = get(site, "/en/news/1")[2]
    assert b"<div>" * 100_000 + b"</div>" * 100_000 in page
    assert b"Story Code : 1</div>" in page


@pytest.mark.parametrize(
    ("variant", "content_type", "meta", "encoding"),
    [
        ("utf8_labelled_1256", "text/html; charset=windows-1256", b'"windows-1256"', "utf-8"),
        ("1256_labelled_utf8", "text/html; charset=utf-8", b'charset="utf-8"', "cp1256"),
        ("none", "text/html", None, "utf-8"),
    ],
)
def test_charset_lies(
    site: ReplicaSite, variant: str, content_type: str, meta: bytes | None, encoding: str
) -> None:
    story = site.set_fault(1, "charset", variant=variant)
    status, headers, page = get(site, "/en/news/1")
    assert (status, headers["Content-Type"]) == (200, content_type)
    assert (meta in page) if meta else (b"charset" not in page)
    assert story is not None and story.body[-1] == PERSIAN_PARAGRAPH
    assert PERSIAN_PARAGRAPH.encode(encoding) in page
    if encoding == "cp1256":
        with pytest.raises(UnicodeDecodeError):
            page.decode("utf-8")


def test_nul_bytes_sit_inside_the_body_text(site: ReplicaSite) -> None:
    story = site.add_story(make_story(1))
    assert site.set_fault(1, "nul_bytes") == story
    page = get(site, "/en/news/1")[2]
    first_word = story.body[0].split()[0].encode()
    assert b"<p>" + first_word + b" " + JUNK + b" " in page
    with pytest.raises(UnicodeDecodeError):
        page.decode("utf-8")


def test_huge_title(site: ReplicaSite) -> None:
    story = site.set_fault(1, "huge_title")
    assert story is not None and len(story.title) == 1_000_000
    page = get(site, "/en/news/1")[2]
    title = lxml.html.fromstring(page).cssselect("h1")[0].text_content()
    assert len(title) == 1_000_000


def test_offsite_redirect(site: ReplicaSite) -> None:
    site.set_fault(1, "offsite_redirect")
    status, headers, _ = get(site, "/en/news/1")
    assert (status, headers["Location"]) == (302, "http://example.invalid/en/news/1/moved")


@pytest.mark.parametrize("target", SCHEME_TARGETS)
def test_scheme_redirect(site: ReplicaSite, target: str) -> None:
    site.set_fault(1, "scheme_redirect", target=target)
    status, headers, _ = get(site, "/en/news/1")
    assert (status, headers["Location"]) == (302, target)


def test_offsite_links_in_an_otherwise_normal_story(site: ReplicaSite) -> None:
    story = site.add_story(make_story(1, body=["a", "b", "c", "d", "e"]))
    site.set_fault(1, "offsite_link")
    page = get(site, "/en/news/1")[2]
    links = lxml.html.fromstring(page).cssselect("#doctextarea a")
    assert [link.get("href").rsplit("/en/", 1)[0] for link in links] == list(OFFSITE_HOSTS)
    assert extract(page, story, site.url) == story.expected_record(site.url)


def test_bad_fault_requests_are_rejected(site: ReplicaSite) -> None:
    with pytest.raises(ValueError):
        site.set_fault(1, "meltdown")
    with pytest.raises(TypeError):
        site.set_fault(1, "slow", dealy=1)
    with pytest.raises(ValueError):
        site.set_fault(1, "charset", variant="latin1")
    with pytest.raises(ValueError):
        site.set_fault(1, "status", times=0)


# --- accounting, keep-alive, concurrency, CLI -------------------------------------------


def test_requests_are_counted(site: ReplicaSite) -> None:
    site.add_story(make_story(5))
    for path in ("/en/news/5/x?utm=1", "/en/news/5", "/en/news/6", "/robots.txt"):
        get(site, path)
    assert (site.count("/en/news/5/x"), site.count("/en/news/5?a")) == (1, 1)
    assert (site.story_requests(5), site.story_requests(6), site.story_requests(7)) == (2, 1, 0)
    assert site.requests_total() == 4 and site.counts["/robots.txt"] == 1
    assert site.log[0] == ("GET", "/en/news/5/x")
    site.reset_counts()
    assert (site.requests_total(), site.count("/robots.txt"), site.log) == (0, 0, [])


def test_keep_alive_and_concurrency(site: ReplicaSite) -> None:
    site.add_stories(make_story(code) for code in range(1, 21))
    statuses: list[int] = []

    def crawl(offset: int) -> None:
        conn = connect(site)
        try:
            for code in range(1, 21):
                conn.request("GET", f"/en/news/{(code + offset) % 20 + 1}")
                sock = conn.sock
                with conn.getresponse() as response:
                    response.read()
                    statuses.append(response.status)
                assert conn.sock is sock  # the same connection served every request
        finally:
            conn.close()

    threads = [threading.Thread(target=crawl, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 160 and site.requests_total() == 160


def test_cli_serves_until_sigterm() -> None:
    command = [sys.executable, "-m", "tests.replica", "--stories", "6", "--start-code", "500"]
    command += ["--gap-every", "3", "--family", "mixed", "--pad-to", "20000"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        try:
            match = re.fullmatch(r"REPLICA (http://127\.0\.0\.1:\d+)\n", line)
            assert match is not None
            conn = http.client.HTTPConnection(urlsplit(match.group(1)).netloc, timeout=5)
            try:
                found = []
                for code in range(500, 508):
                    conn.request("GET", f"/en/news/{code}")
                    with conn.getresponse() as response:
                        found.append((response.status, len(response.read())))
            finally:
                conn.close()
        finally:
            proc.terminate()
        assert proc.wait(timeout=5) == 0
    ok = (200, 20_000)
    assert found == [ok, ok, ok, (404, found[3][1]), ok, ok, ok, (404, found[7][1])]
