"""Validate: a record missing what the archive requires is not archived; it is
counted with its reason, and its code is settled as failed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from crawler.extensions.run import ArchiveRun
from crawler.items import REQUIRED_FIELDS, fields_of
from crawler.ledger import State

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

# Counted when absent, so a site redesign shows up in the next run's stats.
WATCHED_FIELDS = (
    "story_code", "url", "title", "kicker", "lead", "body", "published_at", "source",
    "section", "tags", "images",
)  # fmt: skip


def missing_fields(adapter: Mapping[str, Any]) -> list[str]:
    """
    >>> from crawler.items import StoryItem
    >>> missing_fields(vars(StoryItem(story_code=1, title="T", tags=["x"])))[:3]
    ['url', 'kicker', 'lead']
    """
    return [name for name in WATCHED_FIELDS if not adapter.get(name)]


def rejection_reason(adapter: Mapping[str, Any], missing: list[str], max_title: int) -> str | None:
    """Why a record cannot be archived, or None.

    >>> from crawler.items import StoryItem
    >>> rejection_reason(vars(StoryItem(story_code=1, title="T")), ["body"], 100)
    'missing body'
    >>> rejection_reason(vars(StoryItem(title="T" * 101)), [], 100)
    'title too long (101 characters, limit 100)'
    """
    absent = [name for name in REQUIRED_FIELDS if name in missing]
    if absent:
        return "missing " + ", ".join(absent)
    title = adapter.get("title") or ""
    if len(title) > max_title:
        return f"title too long ({len(title)} characters, limit {max_title})"
    return None


class ValidatePipeline:
    def __init__(self, stats: StatsCollector, run: ArchiveRun | None, max_title: int):
        # Bound once: Scrapy's stats collector wraps each method it is asked
        # for, by name, on every call.
        self._inc_value = stats.inc_value
        self.run = run
        self.max_title = max_title

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(
            crawler.stats,
            crawler.get_extension(ArchiveRun),
            crawler.settings.getint("ARCHIVE_MAX_TITLE_LENGTH", 1000),
        )

    def process_item(self, item: Any) -> Any:
        adapter = fields_of(item)
        missing = missing_fields(adapter)
        for name in missing:
            self._inc_value(f"archive/field_missing/{name}")
        reason = rejection_reason(adapter, missing, self.max_title)
        if reason is None:
            return item
        code = adapter.get("story_code")
        self._inc_value(f"archive/rejected/{reason.split(' (')[0].replace(' ', '_')}")
        if code is None or self.run is None:
            logger.warning("Story %s not archived: %s", code, reason)
        else:
            self.run.settle(code, State.FAILED, detail=f"invalid record: {reason}")
        raise DropItem(f"story {code}: {reason}")
