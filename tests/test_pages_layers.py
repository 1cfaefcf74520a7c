"""Extraction when the template is not what we expect: each field falls back
to metadata, then to label text, and is null rather than guessed."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from crawler.pages.story import StoryPage, text_blocks

URL = "http://127.0.0.1:8080/en/news/500100"


def page(body: str, head: str = "") -> StoryPage:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    return StoryPage.from_response(HtmlResponse(url=URL, body=html.encode(), encoding="utf-8"))


UNKNOWN_TEMPLATE = """
<div class="hdr">19 Jul 2024</div>
<div class="x-meta">Story Code : 500100</div>
<div class="x-when">Tuesday 22 June 2021 - 08:05</div>
<h2 class="x-title">A redesigned page</h2>
<div class="x-text"><p>Only text.</p></div>
"""


def test_story_code_from_label_text_when_no_template_slot() -> None:
    assert page(UNKNOWN_TEMPLATE).story_code == 500100


def test_date_from_label_text_with_the_summer_2021_offset() -> None:
    assert page(UNKNOWN_TEMPLATE).published_at() == "2021-06-22T08:05:00+04:30"


def test_title_from_metadata_when_no_template_slot() -> None:
    head = '<meta property="og:title" content="Meta &amp; title">'
    assert page(UNKNOWN_TEMPLATE, head).title == "Meta & title"


def test_title_from_html_title_without_site_name() -> None:
    head = "<title>The Iran Project - Only the title</title>"
    assert page(UNKNOWN_TEMPLATE, head).title == "Only the title"


def test_fields_no_layer_yields_are_null() -> None:
    story = page(UNKNOWN_TEMPLATE)
    assert story.body() is None
    assert story.lead is None
    assert story.kicker() is None
    assert story.section() is None
    assert story.source() is None
    assert story.tags() == []
    assert story.images() == []


def test_metadata_date_fills_in_when_no_visible_date() -> None:
    head = '<meta property="article:published_time" content="2022-03-01T10:00:00">'
    story = page('<div id="docDocID">Story Code : 500100</div>', head)
    assert story.published_at() == "2022-03-01T10:00:00+03:30"


@pytest.mark.parametrize(
    "body",
    [
        "<h1>The requested news was not found</h1><p>Error 404</p>",
        '<div class="today">19 Jul 2024</div><a href="/en/news/406025/x">A story</a>',
        "<p>Story Code : </p>",
    ],
    ids=["error-page", "home-page", "empty-label"],
)
def test_page_without_its_own_story_code_is_not_a_story(body: str) -> None:
    assert page(body).story_code is None


def test_body_drops_scripts_captions_ads_forms_tags_and_related_links() -> None:
    body = """
    <div id="doctextarea"><article>
      <p>First &amp; real.</p>
      <figure><img src="/i/1.jpg"><figcaption>A caption</figcaption></figure>
      <script>var ad = 1;</script><style>p{}</style>
      <div class="ads-box">Buy now</div>
      <p><a href="/en/news/123/other">Read more: another story</a></p>
      <p>Second,&nbsp;with   spaces<br>and a line break.</p>
      <form><label>Your Name</label></form>
      <div class="tags">Tags: x</div>
      <p>By Tasnim News Agency</p>
    </article></div>"""
    story = page(
        '<div id="docDocID">Story Code : 500100</div><h1 id="docDiv3TitrMain">T</h1>' + body
    )
    assert story.body() == "First & real.\n\nSecond, with spaces\n\nand a line break."
    assert story.source() == "Tasnim"
    assert story.images() == ["http://127.0.0.1:8080/i/1.jpg"]


def test_title_copy_in_body_is_dropped_once_kept_elsewhere() -> None:
    story = page('<h1 class="title">Same</h1><div class="news_body"><p>Same</p><p>Text</p></div>')
    assert story.body() == "Text"


def test_byline_as_its_own_element_after_the_body() -> None:
    story = page('<div class="news_body"><p>Text.</p></div><div class="src">Source: IRNA</div>')
    assert (story.body(), story.source()) == ("Text.", "IRNA")


def test_sentence_starting_with_by_stays_in_the_body() -> None:
    text = "By the end of the week the talks had stalled, officials said."
    story = page(f'<div class="news_body"><p>One.</p><p>{text}</p></div>')
    assert story.body() == f"One.\n\n{text}"
    assert story.source() is None


def test_deeply_nested_markup_does_not_exhaust_the_stack() -> None:
    depth = 1500  # past Python's recursion limit, within libxml2's depth cap
    html = "<div class='news_body'>" + "<div>" * depth + "deep text" + "</div>" * depth + "</div>"
    story = page(html)
    assert story.body() == "deep text"


def test_text_blocks_split_on_blocks_and_breaks() -> None:
    from lxml import html

    root = html.fromstring("<div>a<b>b</b><p>c</p>d<br>e</div>")
    assert list(text_blocks(root)) == ["ab", "c", "d", "e"]
