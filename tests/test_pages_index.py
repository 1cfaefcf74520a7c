"""Property: the page's index restricted to the marks the layouts name, and
the tree parsed from the body's bytes, select exactly what the full index over
Scrapy's own parse (``response.selector``) selects, slot for slot."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from scrapy.http import HtmlResponse

from crawler.pages.base import Document, Slot, layout_marks
from crawler.pages.encoding import check_charset
from crawler.pages.layouts import LAYOUTS
from crawler.pages.parse import parse_page

URL = "http://127.0.0.1:8080/en/news/1"
SLOTS = sorted(
    {
        slot.css: slot
        for layout in LAYOUTS
        for klass in layout.__mro__
        for value in vars(klass).values()
        if isinstance(value, tuple)
        for slot in value
        if isinstance(slot, Slot)
    }.values(),
    key=lambda slot: slot.css,
)
# Names the layouts use, near misses, and the same names written with
# character references or surrounding white space.
NAMES = ["title", "body", "news_body", "docDiv3TitrMain", "doctextarea", "tags", "summary",
         "tags_title", "item-text", "x", "titles", "&#116;itle", " body ", "title\tbody",
         "doc&#84;extarea", "body-news body", "news_id_c"]  # fmt: skip
TAGS = ["div", "h1", "p", "a", "li", "span", "figure", "img"]


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attributes = "".join(
        f' {kind}="{draw(st.sampled_from(NAMES))}"'
        for kind in draw(st.lists(st.sampled_from(["id", "class", "name", "itemprop"]), max_size=3))
    )
    inner = draw(st.lists(elements(depth + 1), max_size=3)) if depth < 3 else []
    return f"<{tag}{attributes}>t{''.join(inner)}</{tag}>"


@settings(max_examples=300, deadline=None)
@given(body=st.lists(elements(), min_size=1, max_size=5))
def test_every_slot_selects_what_the_full_index_selects(body: list[str]) -> None:
    html = f"<html><head></head><body>{''.join(body)}</body></html>".encode()
    scrapy_root = HtmlResponse(URL, body=html, encoding="utf-8").selector.root
    response = HtmlResponse(URL, body=html, encoding="utf-8")
    own_root = parse_page(response, utf8_body=check_charset(html, "utf-8").utf8)
    assert etree.tostring(own_root) == etree.tostring(scrapy_root)
    full = Document(scrapy_root, URL)
    restricted = Document(own_root, URL, layout_marks(LAYOUTS))
    for slot in SLOTS:
        assert [etree.tostring(e) for e in restricted.select(slot)] == [
            etree.tostring(e) for e in full.select(slot)
        ], slot.css
