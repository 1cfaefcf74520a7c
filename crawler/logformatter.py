"""Log lines without whole stories in them: a dropped or scraped record is
named by its code, not dumped (bodies run to kilobytes, thousands a run)."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy import logformatter


def _describe(item: Any) -> str:
    if ItemAdapter.is_item(item):
        return f"story {ItemAdapter(item).get('story_code')}"
    return type(item).__name__


class ArchiveLogFormatter(logformatter.LogFormatter):
    def scraped(self, item: Any, response: Any, spider: Any) -> logformatter.LogFormatterResult:
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
