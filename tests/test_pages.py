"""Extraction on saved pages: each field of the two reconstructed pages must be
exactly what ../shared/site/expected says (one assertion per field)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawler.pages.story import StoryPage

FIXTURES = Path(__file__).parent / "fixtures"
SERVED_AT = "http://127.0.0.1:8080"
PAGES = ["story-406025", "story-412380-iransamaneh-variant"]


def extract(name: str, url: str = f"{SERVED_AT}/en/news/0") -> dict:
    body = (FIXTURES / "pages" / f"{name}.html").read_bytes()
    response = HtmlResponse(url=url, body=body)
    return asdict(StoryPage.from_response(response, crawled_at="2026-11-28T04:00:00Z").to_item())


def expected(name: str) -> dict:
    record = json.loads((FIXTURES / "expected" / f"{name}.json").read_text("utf-8"))
    record["images"] = [SERVED_AT + path for path in record["images"]]
    return record


CASES = [(page, field) for page in PAGES for field in expected(page)]


@pytest.mark.parametrize(("page", "field"), CASES, ids=[f"{p}:{f}" for p, f in CASES])
def test_field_matches_expected_record(page: str, field: str) -> None:
    assert extract(page)[field] == expected(page)[field]


@pytest.mark.parametrize("page", PAGES)
def test_record_has_exactly_the_contract_fields(page: str) -> None:
    record = extract(page)
    assert set(record) == set(expected(page)) | {"crawled_at", "revision", "previous_sha256"}
    assert record["revision"] == 1
    assert record["previous_sha256"] is None
    assert record["crawled_at"] == "2026-11-28T04:00:00Z"


def test_header_today_date_is_not_the_publication_date() -> None:
    # The family A page carries "19 Jul 2024" in its header: never the date.
    assert extract("story-406025")["published_at"].startswith("2023-05-11")


def test_metadata_date_that_disagrees_loses_to_the_visible_date() -> None:
    html = (FIXTURES / "pages" / "story-412380-iransamaneh-variant.html").read_bytes()
    html = html.replace(b"2024-01-14T09:41:00+03:30", b"2031-06-01T00:00:00+03:30")
    page = StoryPage.from_response(HtmlResponse(url=SERVED_AT + "/en/news/412380", body=html))
    assert page.published_at() == "2024-01-14T09:41:00+03:30"
    assert page.notes == ["date_conflict"]


def test_canonical_naming_another_story_is_not_the_url() -> None:
    html = (FIXTURES / "pages" / "story-406025.html").read_bytes()
    html = html.replace(
        b'rel="canonical" href="https://www.theiranproject.com/en/news/406025/',
        b'rel="canonical" href="https://www.theiranproject.com/en/news/999/',
    )
    url = SERVED_AT + "/en/news/406025/slug?utm_source=x#top"
    page = StoryPage.from_response(HtmlResponse(url=url, body=html))
    assert page.canonical_url() == SERVED_AT + "/en/news/406025/slug"
