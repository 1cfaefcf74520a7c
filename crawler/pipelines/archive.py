"""Archive: append the record to this run's JSON Lines file and settle its
code in the ledger, in that order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from crawler.errors import StorageError
from crawler.extensions.run import ArchiveRun

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class ArchivePipeline:
    def __init__(self, run: ArchiveRun):
        self.run = run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(ArchiveRun.of(crawler, "archiving"))

    def process_item(self, item: Any) -> Any:
        try:
            self.run.archive(item)
        except StorageError as exc:
            code = ItemAdapter(item)["story_code"]
            raise DropItem(f"story {code} not archived: {exc}") from exc
        return item
