"""Extraction on saved pages, one per layout and language: each field must be
exactly the saved expected record's (one assertion per field).

The pages are written from the structural facts in SITE.md; the two
reconstructed pages of ../shared/site/pages keep their exact records.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from crawler.pages import PageReading, read_page

FIXTURES = Path(__file__).parent / "fixtures"
SERVED_AT = "http://127.0.0.1:8080"
CRAWLED_AT = "2026-11-28T04:00:00Z"
CASES: dict[str, dict[str, str]] = json.loads((FIXTURES / "pages.json").read_text("utf-8"))


def html_of(name: str) -> bytes:
    folder = "" if "/" in name else "pages/"
    return (FIXTURES / f"{folder}{name}.html").read_bytes()


def reading(name: str, html: bytes | None = None, path: str | None = None) -> PageReading:
    case = CASES[name]
    response = HtmlResponse(url=SERVED_AT + (path or case["path"]), body=html or html_of(name))
    return read_page(response, language=case["language"], crawled_at=CRAWLED_AT)


def extract(name: str) -> dict[str, Any]:
    item = reading(name).item
    assert item is not None
    return asdict(item)


def expected(name: str) -> dict[str, Any]:
    record = json.loads((FIXTURES / "expected" / f"{Path(name).name}.json").read_text("utf-8"))
    record["images"] = [SERVED_AT + path for path in record["images"]]
    return record


FIELD_CASES = [(page, field) for page in CASES for field in expected(page)]


@pytest.mark.parametrize(("page", "field"), FIELD_CASES, ids=[f"{p}:{f}" for p, f in FIELD_CASES])
def test_field_matches_expected_record(page: str, field: str) -> None:
    assert extract(page)[field] == expected(page)[field]


@pytest.mark.parametrize("page", CASES)
def test_record_has_exactly_the_contract_fields(page: str) -> None:
    record = extract(page)
    assert set(record) == set(expected(page)) | {"crawled_at", "revision", "previous_sha256"}
    assert (record["revision"], record["previous_sha256"]) == (1, None)
    assert record["crawled_at"] == CRAWLED_AT


@pytest.mark.parametrize("page", CASES)
def test_reading_names_the_layout_of_its_record(page: str) -> None:
    result = reading(page)
    assert (result.outcome, result.layout) == ("story", expected(page)["layout"])


def test_header_today_date_is_not_the_publication_date() -> None:
    # The family A page carries "19 Jul 2024" in its header: never the date.
    assert extract("story-406025")["published_at"].startswith("2023-05-11")


def test_metadata_date_that_disagrees_loses_to_the_visible_date() -> None:
    html = html_of("story-412380-iransamaneh-variant")
    html = html.replace(b"2024-01-14T09:41:00+03:30", b"2031-06-01T00:00:00+03:30")
    result = reading("story-412380-iransamaneh-variant", html)
    assert result.item is not None
    assert result.item.published_at == "2024-01-14T09:41:00+03:30"
    assert result.notes == ["date_conflict"]


def test_canonical_naming_another_story_is_not_the_url() -> None:
    html = html_of("story-406025").replace(
        b'rel="canonical" href="https://www.theiranproject.com/en/news/406025/',
        b'rel="canonical" href="https://www.theiranproject.com/en/news/999/',
    )
    result = reading("story-406025", html, "/en/news/406025/slug?utm_source=x#top")
    assert result.item is not None
    assert result.item.url == SERVED_AT + "/en/news/406025/slug"


def test_page_showing_another_code_is_still_the_story_of_its_url() -> None:
    html = html_of("story-406025").replace(b"Story Code : 406025", b"Story Code : 501101")
    result = reading("story-406025", html, "/en/news/501102")
    assert result.item is not None
    assert (result.item.story_code, result.notes) == (501102, ["code_conflict"])


def test_code_from_the_canonical_link_when_the_url_has_none() -> None:
    result = reading("story-7351-newsstudio-current-fa", path="/amp/7351")
    assert result.item is not None
    assert (result.item.story_code, result.notes) == (7351, [])


def test_persian_zwnj_survives_in_every_text_field() -> None:
    record = extract("story-215478-newsstudio-classic-fa")
    assert "ایستگاه\u200cهای" in record["body"]
    assert "\u200c" in record["title"]
    assert "بهره\u200cبرداری" in record["lead"]


def test_html_lang_of_another_language_is_noted_not_followed() -> None:
    response = HtmlResponse(
        url=SERVED_AT + "/en/news/98213", body=html_of("story-98213-iransamaneh-fa")
    )
    result = read_page(response, language="en", crawled_at=CRAWLED_AT)
    assert result.item is not None
    assert (result.item.language, result.notes) == ("en", ["language_mismatch"])


def test_regional_html_lang_agrees_with_its_language() -> None:
    assert reading("story-7351-newsstudio-current-fa").notes == []  # lang="fa-IR"
