"""Re-extraction: today's page objects over the captured responses, with no
network request at all.

Each ``metadata`` record names a settled code and its responses. Its final
response (the last that is not a redirect) is rebuilt as a Scrapy response and
read again; the record goes through the same normalize, validate and dedup
rules as a crawl's, and the ledger decides whether it is new, a revision
(``previous_sha256`` chained) or unchanged. Captures are read in the order
they were written, so on a directory holding only ``warc/`` the JSON Lines
archive and the ledger are rebuilt with every revision in its place. For a
code already archived, only its latest capture is read again: an older
capture is not a newer revision.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.archive.repair import repair
from crawler.archive.writer import ArchiveWriter
from crawler.items import StoryItem, fields_of
from crawler.ledger import ArchivedLine, SQLiteLedger, State
from crawler.ledger.rules import Observation, Verdict, transition
from crawler.pages import StoryPage, read_answer
from crawler.pages.generic import GenericPage
from crawler.pages.layouts import LAYOUTS
from crawler.pipelines.validate import missing_fields, rejection_reason
from crawler.warc.index import Original, WarcIndex
from crawler.warc.members import whole_member_after
from crawler.warc.reader import (
    CaptureFiles,
    Captures,
    Outcome,
    rebuilt_response,
    scan,
    warc_date_to_iso,
)
from crawler.warc.repair import forget_uncaptured, repair_warc

logger = logging.getLogger(__name__)

GC_EVERY = 500

# States a re-extraction may replace with a better answer (a story found in
# a page that was not understood before).
REPLACEABLE = frozenset(
    {State.NOT_FOUND, State.FAILED, *[s for s in State if s.value == "unrecognized"]}
)


@dataclass
class ReextractReport:
    captures: int = 0  # settled codes' captures found
    pages: int = 0  # responses read again
    new: int = 0
    revisions: int = 0
    unchanged: int = 0
    rejected: int = 0
    generic: int = 0  # records the generic layer made (a page no layout knows)
    not_revised: int = 0  # generic readings of archived stories: kept as they were
    no_response: int = 0  # captures whose outcome had no usable response
    states: Counter[str] = field(default_factory=Counter)  # other states recorded
    archive_file: str | None = None

    @property
    def written(self) -> int:
        return self.new + self.revisions

    def lines(self) -> list[str]:
        states = ", ".join(f"{k} {v}" for k, v in sorted(self.states.items())) or "none"
        return [
            f"captures {self.captures}, pages read {self.pages}, without a usable page "
            f"{self.no_response}",
            f"new records {self.new}, revisions {self.revisions}, unchanged {self.unchanged}, "
            f"rejected {self.rejected}",
            f"made by the generic layer {self.generic}, archived stories it could not"
            f" revise {self.not_revised}",
            f"other states recorded: {states}",
            f"written to {self.archive_file}" if self.written else "nothing written",
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in vars(self).items() if k != "states"},
            "states": dict(self.states),
        }


def final_response(outcome: Outcome, captures: Captures) -> tuple[str | None, bool]:
    """The capture's last response that is not a redirect, and whether a
    redirect led to it."""
    present = [rid for rid in outcome.responses if rid in captures.records]
    redirected = any(300 <= captures.records[rid].status < 400 for rid in present)
    finals = [rid for rid in present if not 300 <= captures.records[rid].status < 400]
    return (finals[-1] if finals else None), redirected


def _usable(record_id: str | None, captures: Captures) -> bool:
    if record_id is None:
        return False
    status = captures.records[record_id].status
    return 200 <= status < 300 or status in (404, 410)


class Reextraction:
    def __init__(
        self,
        archive_dir: Path,
        run_id: str,
        *,
        max_size: int,
        max_title: int,
        fsync_interval: float,
        language: str = "en",
        layouts: tuple[type[StoryPage], ...] = LAYOUTS,
    ):
        self.archive_dir = archive_dir
        self.language = language
        self.layouts = layouts
        self.max_size = max_size
        self.max_title = max_title
        self.writer = ArchiveWriter(archive_dir, run_id, fsync_interval)
        self.report = ReextractReport()
        self.ledger = SQLiteLedger.in_directory(archive_dir)
        self.index = WarcIndex.on_ledger(self.ledger)
        self.files = CaptureFiles(archive_dir)

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            self.files.close()
            try:
                self.index.close()  # its rows go through the ledger's connection
            finally:
                self.ledger.close()

    def run(self, codes: Container[int] | None = None) -> ReextractReport:
        repair(self.archive_dir, self.ledger)
        if self.index.is_empty():
            # A ledger made anew: pass one's reading of the files rebuilds the
            # capture index first, so that the start-up repair only reads
            # what lies past its last row (a torn tail) instead of every file
            # a second time.
            captures = scan(self.archive_dir)
            # Whole records past an unreadable part are damage, not a torn
            # tail: the start-up repair would move them aside unread.
            for path in captures.files:
                end = captures.ends[path.name]
                if end != path.stat().st_size and whole_member_after(path, end) is not None:
                    raise OSError(
                        f"{path}: damaged at byte {end}, with whole records after it"
                        " (`scrapy archive-verify --repair` cuts it there, the rest kept in torn/)"
                    )
            self._rebuild_index(captures)
            self._repair_warc()
        else:
            self._repair_warc()
            captures = scan(self.archive_dir)
        for path in captures.files:
            size = path.stat().st_size
            if captures.ends[path.name] != size:
                raise OSError(
                    f"{path}: unreadable past byte {captures.ends[path.name]} of {size}"
                    " (`scrapy archive-verify` reports it)"
                )
        # Each page's tree and its response form a reference cycle: left to
        # the cyclic collector's own schedule, it walks the scan's many live
        # objects again and again. The scan's objects are frozen out of the
        # collector's sight, and collecting every GC_EVERY pages frees the
        # trees at a fraction of the cost (and bounds the memory).
        was_enabled = gc.isenabled()
        gc.disable()
        gc.freeze()
        try:
            return self._run(captures, codes)
        finally:
            gc.unfreeze()
            if was_enabled:
                gc.enable()

    def _repair_warc(self) -> None:
        """Torn WARC tails moved aside; codes whose capture went with them forgotten."""
        forget_uncaptured(
            self.index, self.ledger, repair_warc(self.archive_dir, self.index).uncaptured
        )

    def _run(self, captures: Captures, codes: Container[int] | None) -> ReextractReport:
        archived = {state.code for state in self.ledger.archived()}
        finals = [final_response(outcome, captures) for outcome in captures.outcomes]
        latest: dict[int, int] = {}
        for number, (outcome, (final, _)) in enumerate(zip(captures.outcomes, finals, strict=True)):
            if _usable(final, captures):
                latest[outcome.code] = number
        for number, outcome in enumerate(captures.outcomes):
            if codes is not None and outcome.code not in codes:
                continue
            if outcome.code in archived and latest.get(outcome.code) != number:
                continue
            self.report.captures += 1
            final, redirected = finals[number]
            self._settle(outcome, captures, final, redirected)
            if self.report.captures % GC_EVERY == 0:
                gc.collect()
        self.report.archive_file = self.writer.name if self.report.written else None
        return self.report

    def _settle(
        self, outcome: Outcome, captures: Captures, final: str | None, redirected: bool
    ) -> None:
        response = (
            rebuilt_response(self.files, captures, final, self.max_size)
            if final is not None and _usable(final, captures)
            else None
        )
        if response is None:
            self.report.no_response += 1
            # Nothing to read again: the crawl's own outcome stands.
            state = _state(outcome.state)
            if state is not None and state is not State.ARCHIVED:
                self._record(outcome.code, state, outcome.detail, outcome.ref_code)
            return
        self.report.pages += 1
        crawled_at = warc_date_to_iso(captures.records[final or ""].date)
        parts = urlsplit(response.url)
        answer = read_answer(
            outcome.code,
            response,
            redirected=redirected,
            site_url=f"{parts.scheme}://{parts.netloc}",
            language=self.language,
            crawled_at=crawled_at,
            layouts=self.layouts,
        )
        if answer.state is not State.ARCHIVED:
            self._record(outcome.code, answer.state, answer.detail, answer.ref_code)
        if answer.item is not None:
            self._archive(answer.item)

    def _archive(self, item: StoryItem) -> None:
        record = fields_of(item)
        reason = rejection_reason(record, missing_fields(record), self.max_title)
        code = record["story_code"]
        if reason is not None:
            self.report.rejected += 1
            self._record(code, State.FAILED, f"invalid record: {reason}", None)
            return
        sha256 = record["content_sha256"]
        generic = record.get("layout") == GenericPage.name
        decision = transition(
            Observation(State.ARCHIVED, sha256=sha256, generic=generic),
            self.ledger.get(code),
            settled_this_run=False,
            archived_this_run=False,
            holder_of_content=self.ledger.code_for_hash(sha256),
            code=code,
        )
        if decision.verdict is Verdict.UNCHANGED:
            self.report.unchanged += 1
            return
        if decision.verdict is Verdict.NOT_REVISED:
            self.report.not_revised += 1
            return
        if not decision.write_line:
            if decision.record is not None:
                self._record(code, decision.record, None, decision.ref_code)
            return
        record["revision"] = decision.revision
        record["previous_sha256"] = decision.previous_sha256
        self.report.generic += generic
        if decision.verdict is Verdict.REVISION:
            self.report.revisions += 1
        else:
            self.report.new += 1
        offset, end, crc = self.writer.append(item)
        self.ledger.record_archived(
            ArchivedLine(
                code, sha256, self.writer.name, offset, end, record.get("published_at"),
                decision.revision, crc,
            )
        )  # fmt: skip

    def _record(self, code: int, state: State, detail: str | None, ref: int | None) -> None:
        """A state other than archived, where the ledger has no better one."""
        current = self.ledger.get(code)
        if current is not None:
            if current.state not in REPLACEABLE:
                return
            if (current.state, current.detail, current.ref_code) == (state, detail, ref):
                return
            if state not in (State.REDIRECTED, State.DUPLICATE):
                return
        self.ledger.record(code, state, detail=detail, ref_code=ref)
        self.report.states[state.value] += 1

    def _rebuild_index(self, captures: Captures) -> None:
        """A ledger made anew: the capture index is made from the files, so
        the next crawl's revisits and start-up repair work as before."""
        for record_id, located in captures.records.items():
            if located.kind == "response" and located.digest:
                self.index.add_payload(
                    located.digest,
                    Original(record_id, located.uri, located.date),
                    located.file,
                    located.end,
                )
        for outcome in captures.outcomes:
            self.index.add_capture(
                outcome.code, outcome.run_id or "", outcome.state, outcome.file, outcome.end
            )
        self.index.flush()


def _state(value: str) -> State | None:
    try:
        return State(value)
    except ValueError:
        return None
