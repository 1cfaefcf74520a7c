"""Deduplicate: the archive holds each story content once, and each code's
revisions only when its content changed.

The rules are :func:`crawler.ledger.rules.transition`'s; this pipeline asks the
run to apply them to a record and drops what must not be written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from crawler.extensions.run import ArchiveRun
from crawler.items import fields_of
from crawler.ledger import State
from crawler.ledger.rules import Observation, Verdict
from crawler.pages.generic import GenericPage

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

WHY_NOT_WRITTEN = {
    Verdict.UNCHANGED: "unchanged since its last capture",
    Verdict.REPEAT: "already archived by this run",
    Verdict.DUPLICATE_CONTENT: "same content as another story",
    Verdict.NOT_REVISED: "the generic layer's reading never revises an archived story",
}


class DedupPipeline:
    def __init__(self, run: ArchiveRun):
        self.run = run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(ArchiveRun.of(crawler, "deduplication"))

    def process_item(self, item: Any) -> Any:
        record = fields_of(item)
        code = record["story_code"]
        generic = record.get("layout") == GenericPage.name
        decision = self.run.decide(
            code, Observation(State.ARCHIVED, sha256=record["content_sha256"], generic=generic)
        )
        if not decision.write_line:
            raise DropItem(f"story {code}: {WHY_NOT_WRITTEN[decision.verdict]}")
        record["revision"] = decision.revision
        record["previous_sha256"] = decision.previous_sha256
        return item
