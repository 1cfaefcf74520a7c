"""Pages that must not become stories: each is read as what it shows, and
only a page that itself says the story is not there is ``not_found``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from scrapy.http import Headers, HtmlResponse, JsonResponse, Response, TextResponse
from scrapy.responsetypes import responsetypes

from crawler.pages import read_page
from tests.replica import make_story
from tests.replica.faults import PERSIAN_PARAGRAPH
from tests.replica.render import Variant, render_page

ANSWERS = Path(__file__).parent / "fixtures" / "answers"
SITE = "http://127.0.0.1:8080"


def read(name: str, path: str = "/en/news/500100", language: str = "en"):
    body = (ANSWERS / f"{name}.html").read_bytes()
    response = HtmlResponse(url=SITE + path, body=body)
    return read_page(response, language=language, crawled_at="2026-11-28T04:00:00Z")


@pytest.mark.parametrize(
    ("name", "language", "kind"),
    [
        ("challenge", "en", "challenge"),
        ("maintenance", "fa", "maintenance"),
        ("empty", "en", "empty"),
    ],
)
def test_pages_that_say_nothing_about_the_story_are_blocked(name, language, kind) -> None:
    result = read(name, language=language)
    assert (result.outcome, result.detail, result.item) == ("blocked", kind, None)


def test_a_zero_byte_200_is_blocked_as_empty() -> None:
    response = Response(url=SITE + "/en/news/500100", body=b"")
    result = read_page(response, language="en", crawled_at="x")
    assert (result.outcome, result.detail) == ("blocked", "empty")


def test_the_sites_own_error_page_is_not_found_with_its_words() -> None:
    result = read("site-error")
    assert result.outcome == "not_found"
    assert result.detail == "the site's error page: The requested news was not found"


def test_a_listing_reached_instead_of_a_story_is_not_found() -> None:
    result = read("listing-fa-archive", path="/fa/archive", language="fa")
    assert (result.outcome, result.detail) == ("not_found", "not a story page: /fa/archive")


def test_a_listing_at_a_story_url_is_unrecognized_not_a_story() -> None:
    result = read("listing-fa-archive", path="/fa/news/98299", language="fa")
    assert result.outcome == "unrecognized"
    assert result.item is None


def test_a_redesigned_template_is_unrecognized_and_says_which_slots_were_missing() -> None:
    result = read("redesigned")
    assert (result.outcome, result.item) == ("unrecognized", None)
    assert result.detail == (
        "missing slots: title (#docDiv3TitrMain), body (#doctextarea | .docContentdiv)"
        " (closest layout: newsstudio-classic); generic layer: no publication date with a time"
    )


def test_the_generic_layer_reads_a_redesign_that_keeps_its_date_metadata() -> None:
    result = read("redesigned-with-metadata")
    assert result.item is not None
    assert (result.outcome, result.layout, result.item.layout) == ("story", "generic", "generic")


def test_the_generic_layer_keeps_zwnj_that_trafilatura_drops() -> None:
    html = (ANSWERS / "redesigned-with-metadata.html").read_text("utf-8")
    html = html.replace('<html lang="en">', '<html lang="fa">').replace(
        "Trade between the two neighbours",
        "Trade (\u0645\u06cc\u200c\u0634\u0648\u062f) between the two",
    )
    response = HtmlResponse(url=SITE + "/fa/news/500100", body=html.encode())
    result = read_page(response, language="fa", crawled_at="x")
    assert result.item is not None
    assert "\u0645\u06cc\u200c\u0634\u0648\u062f" in (result.item.body or "")


def test_a_short_page_is_not_made_a_story_by_the_generic_layer() -> None:
    html = (ANSWERS / "redesigned-with-metadata.html").read_text("utf-8")
    start, end = html.index("<p>Iran and Armenia on"), html.index("</div>\n  </article>")
    html = html[:start] + "<p>Iran and Armenia opened a crossing.</p>" + html[end:]
    response = HtmlResponse(url=SITE + "/en/news/500100", body=html.encode())
    result = read_page(response, language="en", crawled_at="x")
    assert result.outcome == "unrecognized"
    assert result.detail is not None and result.detail.endswith("body under 300 characters")


def test_a_story_that_mentions_maintenance_and_not_found_is_still_a_story() -> None:
    body = (
        '<h1 id="docDiv3TitrMain">Site under maintenance: page not found</h1>'
        '<div id="doctextarea"><p>Checking your browser is not found here.</p></div>'
    )
    html = f"<html><head><title>Just a moment...</title></head><body>{body}</body></html>"
    response = HtmlResponse(url=SITE + "/en/news/500100", body=html.encode())
    assert read_page(response, language="en", crawled_at="x").outcome == "story"


def test_a_page_that_is_not_html_is_unrecognized() -> None:
    response = Response(
        url=SITE + "/en/news/500100", body=b"%PDF-1.4", headers={"Content-Type": "application/pdf"}
    )
    result = read_page(response, language="en", crawled_at="x")
    assert (result.outcome, result.detail) == ("unrecognized", "not an HTML page (application/pdf)")


def as_scrapy_makes_it(body: bytes, content_type: str) -> Response:
    """The response class Scrapy picks for these headers and this body."""
    headers = Headers({"Content-Type": content_type})
    url = SITE + "/en/news/500100"
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, body=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
            "application/pdf",
        ),
        (b"Service unavailable, back soon", "text/plain"),
        (b"Service unavailable, back soon", "text/plain; charset=utf-8"),
    ],
)
def test_text_that_is_not_markup_is_not_a_page(body: bytes, content_type: str) -> None:
    # Scrapy makes a text response of any body that looks like text; it was
    # read as an HTML page and filed as an empty or a layout-less page.
    response = as_scrapy_makes_it(body, content_type)
    result = read_page(response, language="en", crawled_at="x")
    assert (result.outcome, result.detail) == ("unrecognized", f"not an HTML page ({content_type})")


def test_a_story_labelled_text_plain_is_still_read() -> None:
    html = render_page(make_story(500100), base_url=SITE)
    response = as_scrapy_makes_it(b"\n" + html, "text/plain")
    assert type(response) is TextResponse
    assert read_page(response, language="en", crawled_at="x").outcome == "story"


def test_json_at_a_story_url_is_unrecognized_not_an_extraction_error() -> None:
    # What an API gateway or a firewall may answer with: Scrapy makes it a
    # JsonResponse, a text response with no HTML tree.
    response = JsonResponse(
        url=SITE + "/en/news/500100",
        body=b'{"error": "not found"}',
        headers={"Content-Type": "application/json"},
    )
    result = read_page(response, language="en", crawled_at="x")
    assert result.outcome == "unrecognized"
    assert result.detail == "not an HTML page (application/json)"


def test_a_rebuilt_response_with_a_mislabelled_charset_is_corrected_and_noted() -> None:
    html = (
        Path(__file__).parent / "fixtures" / "pages" / "story-98213-iransamaneh-fa.html"
    ).read_bytes()
    html = html.replace(b"charset=utf-8", b"charset=windows-1256")
    response = HtmlResponse(
        url=SITE + "/fa/news/98213",
        body=html,
        headers={"Content-Type": "text/html; charset=windows-1256"},
    )
    result = read_page(response, language="fa", crawled_at="x")
    assert result.item is not None
    assert result.notes == ["charset_corrected"]
    assert result.item.title == "رونمایی از سامانه ملی پیش\u200cبینی زلزله"


@pytest.mark.parametrize("label", ["iso-8859-1", "windows-1252"])
def test_a_windows_1256_page_under_a_western_label_is_read_as_written(label: str) -> None:
    # An English story quoting a Persian source, in windows-1256 bytes, under
    # a server's default label (Apache's AddDefaultCharset was iso-8859-1).
    story = make_story(702000, layout="newsstudio-classic")
    story = dataclasses.replace(story, body=[*story.body, PERSIAN_PARAGRAPH])
    response = HtmlResponse(
        url=SITE + story.path,
        body=render_page(story, base_url=SITE, variant=Variant(charset=None), encoding="cp1256"),
        headers={"Content-Type": f"text/html; charset={label}"},
    )
    result = read_page(response, language="en", crawled_at="x")
    assert result.item is not None
    assert result.notes == ["charset_corrected"]
    assert result.item.body == story.expected_record(SITE)["body"]


def test_the_story_template_around_an_error_message_is_not_found() -> None:
    body = (
        '<div class="news_id_c"></div><h1 class="title"></h1>'
        '<div class="body"></div><div class="error_box">خبر مورد نظر یافت نشد</div>'
    )
    html = f"<html><head><title>خبر</title></head><body>{body}</body></html>"
    response = HtmlResponse(url=SITE + "/fa/news/500100", body=html.encode())
    result = read_page(response, language="fa", crawled_at="x")
    assert (result.outcome, result.detail) == (
        "not_found",
        "the site's error page: خبر مورد نظر یافت نشد",
    )
