"""The spider's old entry point, kept only until ``crawler/codespider.py``
calls :func:`crawler.pages.read_page` (the lead's integration): delete this
module then. Anything that is not a story reads as "no story code", which is
what the old spider settles as ``not_found``.
"""

from __future__ import annotations

from scrapy.http import Response

from crawler.items import StoryItem
from crawler.pages import PageReading, read_page


class StoryPage:
    def __init__(self, reading: PageReading):
        self.reading = reading
        self.notes = [n for n in reading.notes if n != "charset_corrected"]

    @classmethod
    def from_response(cls, response: Response, crawled_at: str | None = None) -> StoryPage:
        return cls(read_page(response, language="en", crawled_at=crawled_at or ""))

    @property
    def story_code(self) -> int | None:
        item = self.reading.item
        return item.story_code if item is not None else None

    def to_item(self) -> StoryItem:
        assert self.reading.item is not None
        return self.reading.item
