"""Log lines without whole stories in them: a dropped or scraped record is
named by its code, not dumped (bodies run to kilobytes, thousands a run)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import logformatter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def _describe(item: Any) -> str:
    if ItemAdapter.is_item(item):
        return f"story {ItemAdapter(item).get('story_code')}"
    return type(item).__name__


class ArchiveLogFormatter(logformatter.LogFormatter):
    """Per-page lines ("Crawled", "Scraped") are DEBUG: below that level they
    are not made at all, since a made record costs as much as the handler's
    filtering of it (two per page)."""

    def __init__(self, per_page: bool = True):
        self.per_page = per_page

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveLogFormatter:
        level = logging.getLevelName(crawler.settings.get("LOG_LEVEL", "DEBUG"))
        return cls(per_page=not isinstance(level, int) or level <= logging.DEBUG)

    # Scrapy's documented way to omit a line is None, which its annotation
    # does not admit.
    def crawled(  # type: ignore[override]
        self, request: Any, response: Any, spider: Any
    ) -> logformatter.LogFormatterResult | None:
        return super().crawled(request, response, spider) if self.per_page else None

    def scraped(  # type: ignore[override]
        self, item: Any, response: Any, spider: Any
    ) -> logformatter.LogFormatterResult | None:
        if not self.per_page:
            return None
        return {
            "level": logging.DEBUG,
            "msg": "Scraped %(item)s from %(src)s",
            "args": {"item": _describe(item), "src": getattr(response, "url", response)},
        }

    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> logformatter.LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "Not archived: %(exception)s",
            "args": {"exception": exception},
        }
