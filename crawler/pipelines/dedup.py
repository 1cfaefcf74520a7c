"""Deduplicate: the archive holds each story once.

Decided against the ledger, which already holds this run's records as well as
every earlier run's, so "once" holds within a run and across runs alike.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from crawler.extensions.run import ArchiveRun
from crawler.ledger import CodeState, State

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class Verdict(enum.Enum):
    NEW = "new"
    REVISION = "revision"  # an archived story whose content changed
    UNCHANGED = "unchanged"  # an archived story fetched again, same content
    DUPLICATE_CODE = "duplicate_code"  # this run already archived the code
    DUPLICATE_CONTENT = "duplicate_content"  # another code holds this content


def judge(
    code: int,
    sha256: str,
    current: CodeState | None,
    archived_this_run: bool,
    holder_of_content: int | None,
) -> Verdict:
    """
    >>> archived = CodeState(7, State.ARCHIVED, "t", sha256="aa", revision=1)
    >>> judge(7, "aa", archived, False, 7).value
    'unchanged'
    >>> judge(7, "bb", archived, False, None).value
    'revision'
    >>> judge(7, "bb", archived, True, None).value
    'duplicate_code'
    >>> judge(8, "aa", None, False, 7).value
    'duplicate_content'
    >>> judge(9, "cc", None, False, None).value
    'new'
    """
    is_archived = current is not None and current.state is State.ARCHIVED
    if current is not None and is_archived and current.sha256 == sha256:
        return Verdict.UNCHANGED
    if archived_this_run:
        return Verdict.DUPLICATE_CODE
    if holder_of_content is not None and holder_of_content != code:
        return Verdict.DUPLICATE_CONTENT
    return Verdict.REVISION if is_archived else Verdict.NEW


class DedupPipeline:
    def __init__(self, run: ArchiveRun):
        self.run = run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(ArchiveRun.of(crawler, "deduplication"))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        code, sha256 = adapter["story_code"], adapter["content_sha256"]
        current = self.run.ledger.get(code)
        verdict = judge(
            code,
            sha256,
            current,
            self.run.settled_this_run(code) is State.ARCHIVED,
            self.run.ledger.code_for_hash(sha256),
        )
        stats = self.run.stats
        if verdict is Verdict.UNCHANGED:
            self.run.unchanged(code)
            raise DropItem(f"story {code}: unchanged since its last capture")
        if verdict is Verdict.DUPLICATE_CODE:
            stats.inc_value("archive/dropped/duplicate_code")
            raise DropItem(f"story {code}: already archived by this run")
        if verdict is Verdict.DUPLICATE_CONTENT:
            holder = self.run.ledger.code_for_hash(sha256)
            stats.inc_value("archive/dropped/duplicate_content")
            self.run.settle(code, State.DUPLICATE, ref_code=holder)
            raise DropItem(f"story {code}: same content as story {holder}")
        if verdict is Verdict.REVISION:
            assert current is not None
            adapter["revision"] = (current.revision or 1) + 1
            adapter["previous_sha256"] = current.sha256
            stats.inc_value("archive/records/revisions")
        return item
