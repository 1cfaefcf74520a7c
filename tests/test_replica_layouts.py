"""The replica's layouts, editions and blocked answers: each story page, served
over HTTP in any layout and either edition, reads back as the story's
expected record (or as what it is, for pages no reader can make a story of)."""

from __future__ import annotations

import http.client
from dataclasses import asdict
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Response

from crawler.pages import read_page
from tests.replica import ReplicaSite, make_story
from tests.replica.render import to_jalali
from tests.replica.stories import LAYOUTS


def fetch(site: ReplicaSite, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(site.url).port, timeout=10)
    try:
        conn.request("GET", path)
        with conn.getresponse() as response:
            return response.status, response.read()
    finally:
        conn.close()


def read(site: ReplicaSite, path: str, language: str) -> Any:
    status, body = fetch(site, path)
    assert status == 200
    response = HtmlResponse(url=site.url + path, body=body) if body else Response(site.url + path)
    return read_page(response, language=language, crawled_at="2026-11-28T04:00:00Z")


READABLE = [name for name in LAYOUTS if name != "redesigned"]


@pytest.fixture(scope="module")
def site() -> Any:
    with ReplicaSite() as replica:
        yield replica


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("layout", READABLE)
def test_every_layout_and_edition_reads_back_as_its_expected_record(
    site: ReplicaSite, layout: str, language: str
) -> None:
    for code in range(3000, 3012):
        story = site.add_story(make_story(code, layout=layout, language=language))
        result = read(site, story.path, language)
        assert result.item is not None, result.detail
        record = asdict(result.item)
        del record["crawled_at"]
        assert record == story.expected_record(site.url)


def test_the_persian_edition_is_served_under_fa_with_jalali_dates(site: ReplicaSite) -> None:
    story = site.add_story(
        make_story(3100, language="fa", published=datetime(2025, 12, 13, 13, 19))
    )
    status, body = fetch(site, f"/fa/news/{story.code}")
    assert status == 200
    assert "شنبه ۲۲ آذر ۱۴۰۴ ساعت ۱۳:۱۹".encode() in body
    assert b'<html lang="fa" dir="rtl">' in body


def test_a_redesigned_story_page_is_unrecognized(site: ReplicaSite) -> None:
    story = site.add_story(make_story(3200, layout="redesigned"))
    result = read(site, story.path, "en")
    assert result.outcome == "unrecognized"
    assert result.detail.endswith("generic layer: no publication date with a time")


@pytest.mark.parametrize("kind", ["challenge", "maintenance", "empty"])
def test_blocked_answers_at_story_urls(site: ReplicaSite, kind: str) -> None:
    site.set_blocked(3300, kind)
    result = read(site, "/en/news/3300", "en")
    assert (result.outcome, result.detail) == ("blocked", kind)


def test_unknown_layouts_and_languages_are_refused() -> None:
    with pytest.raises(ValueError):
        make_story(1, layout="wordpress")
    with pytest.raises(ValueError):
        make_story(1, language="de")
    with pytest.raises(ValueError):
        ReplicaSite().set_blocked(1, "teapot")


def test_jalali_conversion_at_the_year_boundary() -> None:
    # Nowruz 1403 fell on 20 March 2024; the day before is the last of 1402.
    assert (to_jalali(2024, 3, 20), to_jalali(2024, 3, 19)) == ((1403, 1, 1), (1402, 12, 29))
