"""Page objects field by field, on small pages: each layout's slots, the
switch between layouts, and fields no slot yields being null, not guessed."""

from __future__ import annotations

from typing import ClassVar

import pytest
from scrapy.http import HtmlResponse

from crawler.pages import PageReading, choose_layout, read_page
from crawler.pages.base import Document, Evidence, StoryPage, slots
from crawler.pages.layouts import (
    IranSamaneh,
    IranSamanehDidgah,
    NewsStudioClassic,
    NewsStudioCurrent,
)

URL = "http://127.0.0.1:8080/en/news/500100"
A_HEAD = '<div id="docDocID">Story Code : 500100</div><h1 id="docDiv3TitrMain">T</h1>'


def doc(body: str, head: str = "", url: str = URL) -> Document:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    return Document(HtmlResponse(url=url, body=html.encode(), encoding="utf-8").selector.root, url)


def page(body: str, head: str = "") -> StoryPage:
    document = doc(body, head)
    layout = choose_layout(document)
    assert layout is not None, "no layout matched"
    return layout(document)


def read(body: str, head: str = "") -> PageReading:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    response = HtmlResponse(url=URL, body=html.encode(), encoding="utf-8")
    return read_page(response, language="en", crawled_at="2026-11-28T04:00:00Z")


@pytest.mark.parametrize(
    ("body", "layout"),
    [
        ('<h1 id="docDiv3TitrMain">T</h1><div id="doctextarea">x</div>', NewsStudioClassic),
        ('<div id="docDiv3TitrMain">T</div><div class="docContentdiv">x</div>', NewsStudioClassic),
        (
            '<h1 class="title"><a itemprop="headline">T</a></h1>'
            '<div class="item-text" itemprop="articleBody">x</div>',
            NewsStudioCurrent,
        ),
        ('<h1 class="title">T</h1><div class="body-news body">x</div>', IranSamanehDidgah),
        (
            '<div class="news_pdate_c">d</div><h1 class="title">T</h1><div class="body">x</div>',
            IranSamaneh,
        ),
    ],
    ids=["classic-h1", "classic-div-title", "current", "didgah", "iransamaneh"],
)
def test_layout_switch_picks_the_layout_whose_slots_the_page_has(body, layout) -> None:
    assert choose_layout(doc(body)) is layout


def test_item_text_without_its_itemprop_is_not_the_current_template() -> None:
    body = '<h1 class="title">T</h1><div class="item-text">x</div>'
    assert choose_layout(doc(body)) is None


def test_story_code_comes_from_the_url_first() -> None:
    assert page(A_HEAD + '<div id="doctextarea">x</div>').story_code == 500100


def test_story_code_from_the_slot_when_the_url_has_none() -> None:
    document = doc(A_HEAD + '<div id="doctextarea">x</div>', url="http://127.0.0.1:8080/x")
    assert NewsStudioClassic(document).story_code == 500100


def test_title_from_metadata_when_the_title_slot_is_empty() -> None:
    head = '<meta property="og:title" content="Meta &amp; title">'
    story = page('<h1 id="docDiv3TitrMain"> </h1><div id="doctextarea">x</div>', head)
    assert story.title == "Meta & title"


def test_fields_no_slot_yields_are_null() -> None:
    story = page(A_HEAD + '<div id="doctextarea"><p>Only text.</p></div>')
    assert story.lead is None
    assert story.kicker is None
    assert story.section is None
    assert story.source is None
    assert story.published_at is None
    assert story.tags == []
    assert story.images == []


def test_metadata_date_fills_in_when_no_visible_date() -> None:
    head = '<meta property="article:published_time" content="2022-03-01T10:00:00">'
    story = page(A_HEAD + '<div id="doctextarea">x</div>', head)
    assert story.published_at == "2022-03-01T10:00:00+03:30"


def test_current_template_date_is_utc_metadata_in_tehran_time() -> None:
    head = '<meta property="article:published_time" content="2026-10-04T20:30:00Z">'
    body = '<h1 class="title">T</h1><div class="item-text" itemprop="articleBody">x</div>'
    assert page(body, head).published_at == "2026-10-05T00:00:00+03:30"


def test_current_template_section_is_the_last_article_section_crumb() -> None:
    body = (
        '<ol class="breadcrumb"><li class="breadcrumb-item"><a>Home</a></li>'
        '<li class="breadcrumb-item" itemprop="articleSection">World</li>'
        '<li class="breadcrumb-item" itemprop="articleSection">Asia</li></ol>'
        '<h1 class="title">T</h1><div class="item-text" itemprop="articleBody">x</div>'
    )
    assert page(body).section == "Asia"


def test_current_template_lead_loses_a_closing_source_line_to_the_source() -> None:
    body = (
        '<h1 class="title">T</h1><p class="summary introtext" itemprop="description">'
        "A lead. Source: Tasnim</p>"
        '<div class="item-text" itemprop="articleBody">x</div>'
    )
    story = page(body)
    assert (story.lead, story.source) == ("A lead.", "Tasnim")


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
    story = page(A_HEAD + body)
    assert story.body == "First & real.\n\nSecond, with spaces\n\nand a line break."
    assert story.source == "Tasnim"
    assert story.images == ["http://127.0.0.1:8080/i/1.jpg"]


IRANSAMANEH = '<div class="news_id_c">500100</div><h1 class="title">Same</h1>'


def test_title_copy_in_body_is_dropped_once_kept_elsewhere() -> None:
    story = page(IRANSAMANEH + '<div class="news_body"><p>Same</p><p>Text</p></div>')
    assert story.body == "Text"


def test_byline_as_its_own_element_after_the_body() -> None:
    story = page(IRANSAMANEH + '<div class="news_body"><p>Text.</p></div><div>Source: IRNA</div>')
    assert (story.body, story.source) == ("Text.", "IRNA")


def test_sentence_starting_with_by_stays_in_the_body() -> None:
    text = "By the end of the week the talks had stalled, officials said."
    story = page(IRANSAMANEH + f'<div class="news_body"><p>One.</p><p>{text}</p></div>')
    assert story.body == f"One.\n\n{text}"
    assert story.source is None


def test_deeply_nested_markup_does_not_exhaust_the_stack() -> None:
    depth = 1500  # past Python's recursion limit, within libxml2's depth cap
    nested = "<div>" * depth + "deep text" + "</div>" * depth
    story = page(IRANSAMANEH + f"<div class='news_body'>{nested}</div>")
    assert story.body == "deep text"


def test_a_layout_a_test_adds_reads_a_template_no_built_in_layout_knows() -> None:
    class Redesign(StoryPage):
        name = "redesign"
        title_slots = slots("h2.x-title")
        body_slots = slots(".x-text")
        date_slots = slots(".x-when")
        evidence: ClassVar[Evidence] = {"title": title_slots, "body": body_slots}

    html = (
        '<h2 class="x-title">A redesigned page</h2><div class="x-when">Tuesday 22 June 2021'
        ' - 08:05</div><div class="x-text"><p>Only text.</p></div>'
    )
    response = HtmlResponse(url=URL, body=html.encode(), encoding="utf-8")
    assert read_page(response, language="en", crawled_at="x").outcome == "unrecognized"
    result = read_page(response, language="en", crawled_at="x", layouts=(Redesign,))
    assert result.item is not None
    assert (result.layout, result.item.layout) == ("redesign", "redesign")
    assert result.item.published_at == "2021-06-22T08:05:00+04:30"
