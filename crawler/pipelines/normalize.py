"""Normalize: every text field in the archive's one form, and the content hash
derived from exactly that form (whoever produced the item)."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from crawler.clean.text import join_paragraphs, normalize_optional, normalize_text
from crawler.clean.urls import without_query
from crawler.items import content_sha256

OPTIONAL_TEXT = ("title", "kicker", "lead", "source", "section")


def normalize_record(adapter: ItemAdapter) -> None:
    """Normalize a story record in place.

    >>> from crawler.items import StoryItem
    >>> item = StoryItem(story_code=1, title=" A&amp;B ", body="x\\n\\n\\u00a0\\n\\ny",
    ...                  tags=["t", " t", ""], url="https://x.test/en/news/1?a=1")
    >>> normalize_record(ItemAdapter(item))
    >>> item.title, item.body, item.tags, item.url
    ('A&B', 'x\\n\\ny', ['t'], 'https://x.test/en/news/1')
    """
    for name in OPTIONAL_TEXT:
        adapter[name] = normalize_optional(adapter.get(name))
    body = adapter.get("body")
    adapter["body"] = join_paragraphs(body.split("\n\n")) or None if body else None
    adapter["tags"] = list(dict.fromkeys(filter(None, map(normalize_text, adapter["tags"]))))
    adapter["images"] = list(dict.fromkeys(adapter["images"]))
    if adapter.get("url"):
        adapter["url"] = without_query(adapter["url"])
    title, body = adapter.get("title"), adapter.get("body")
    adapter["content_sha256"] = (
        content_sha256(title, adapter["lead"], body) if title and body else None
    )


class NormalizePipeline:
    def process_item(self, item: Any) -> Any:
        normalize_record(ItemAdapter(item))
        return item
