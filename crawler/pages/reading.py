"""From a story response to what the spider needs: a record, or the state the
page leaves its code in, with the notes the run counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scrapy.http import Response, TextResponse

from crawler.clean.dates import utc_now_iso
from crawler.items import StoryItem
from crawler.ledger import State
from crawler.pages.encoding import corrected_encoding
from crawler.pages.story import StoryPage

GENERIC_LAYOUT = "generic"


@dataclass
class Reading:
    item: StoryItem | None
    state: State = State.ARCHIVED
    detail: str | None = None
    notes: list[str] = field(default_factory=list)


def read_story(response: Response, language: str, stats: Any = None) -> Reading:
    if not isinstance(response, TextResponse):
        return Reading(None, State.UNRECOGNIZED, "not an HTML page")
    notes = []
    encoding = corrected_encoding(response.body, response.encoding)
    if encoding is not None:
        notes.append("charset_corrected")
        response = response.replace(encoding=encoding)
    page = StoryPage.from_response(response, crawled_at=utc_now_iso())
    item = page.to_item() if page.story_code is not None else None
    notes.extend(page.notes)
    if item is None:
        return Reading(None, State.UNRECOGNIZED, "no story code on the page", notes)
    item.language = language
    item.layout = "classic"
    return Reading(item, notes=notes)
