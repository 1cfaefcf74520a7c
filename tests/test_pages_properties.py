"""Property: whatever text a story holds, the page the site would render for
it (any known layout, either edition) gives back exactly the story's record."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse

from crawler.pages import read_page
from tests.replica import Story, render_story
from tests.replica.__main__ import KNOWN_LAYOUTS

BASE = "http://127.0.0.1:8080"

# Printable text with the characters pages get wrong most: NBSP, entities'
# ampersands, angle brackets, quotes, Persian letters with ZWNJ.
ALPHABET = st.sampled_from(
    list("abcXYZ019 .,;:'\"&<>-\u00a0\u200c\u2019\u201c\u201d") + list("سلامیکپ")
)
TEXT = st.text(ALPHABET, min_size=1, max_size=60).filter(lambda t: any(c.isalnum() for c in t))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layout=st.sampled_from(KNOWN_LAYOUTS),
    language=st.sampled_from(["en", "fa"]),
    title=TEXT,
    lead=st.none() | TEXT,
    body=st.lists(TEXT, min_size=1, max_size=6),
    kicker=st.none() | TEXT,
    published=st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2030, 1, 1)),
)
def test_rendered_story_extracts_to_its_record(
    layout, language, title, lead, body, kicker, published
):
    story = Story(
        code=123456,
        layout=layout,
        language=language,
        title=title,
        lead=lead,
        body=body,
        kicker=kicker,
        published=published.replace(hour=12),  # pages never show the DST switch hours
    )
    expected = story.expected_record(BASE)
    response = HtmlResponse(
        url=BASE + story.path, body=render_story(story, base_url=BASE), encoding="utf-8"
    )
    item = read_page(response, language=language, crawled_at="2026-11-28T04:00:00Z").item
    assert item is not None
    record = asdict(item)
    # The title is never repeated in the body: a paragraph equal to it is dropped.
    assume(not any(p == expected["title"] for p in (expected["body"] or "").split("\n\n")))
    for field, value in expected.items():
        assert record[field] == value, field
