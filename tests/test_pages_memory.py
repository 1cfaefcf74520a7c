"""A page's tree is freed as soon as its reading is made: reading a page leaves
no reference cycle (Scrapy's cached selector and its response made one), so a
crawl's memory does not wait on the cyclic garbage collector."""

from __future__ import annotations

import gc

import pytest
from scrapy.http import HtmlResponse

from crawler.pages import read_answer
from tests.replica import make_story
from tests.replica.__main__ import KNOWN_LAYOUTS
from tests.replica.render import Variant, render_page

BASE = "http://127.0.0.1:8080"
CODE = 400001


def left_for_the_collector(body: bytes, path: str, headers: dict[str, str]) -> int:
    response = HtmlResponse(BASE + path, body=body, headers=headers)
    gc.collect()
    gc.disable()
    try:
        answer = read_answer(
            CODE, response, redirected=False, site_url=BASE, language="en", crawled_at="x"
        )
        assert answer.item is not None
        del response
        return gc.collect()
    finally:
        gc.enable()


@pytest.mark.parametrize("layout", KNOWN_LAYOUTS)
def test_reading_a_story_leaves_nothing_for_the_collector(layout: str) -> None:
    story = make_story(CODE, layout=layout)
    body = render_page(story, base_url=BASE)
    headers = {"Content-Type": "text/html; charset=utf-8"}
    assert left_for_the_collector(body, story.path, headers) == 0


@pytest.mark.parametrize(
    ("encoding", "label"), [("cp1256", "windows-1256"), ("utf-8", "windows-1256")]
)
def test_a_legacy_or_mislabelled_page_leaves_nothing_either(encoding: str, label: str) -> None:
    story = make_story(CODE, language="fa")
    body = render_page(story, base_url=BASE, encoding=encoding, variant=Variant(charset=label))
    headers = {"Content-Type": f"text/html; charset={label}"}
    assert left_for_the_collector(body, story.path, headers) == 0
