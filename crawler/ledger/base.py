"""The ledger: the one current state of every code the crawler has asked for.

It lives beside the archive and is what lets a run do only new work. The
interface is small so that a shared store can replace the embedded SQLite one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol


class State(enum.StrEnum):
    ARCHIVED = "archived"
    NOT_FOUND = "not_found"
    REDIRECTED = "redirected"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    BLOCKED = "blocked"  # robots.txt, a bot challenge, a maintenance page, an empty answer
    UNRECOGNIZED = "unrecognized"  # a page at a story URL that nothing could read


@dataclass(frozen=True)
class CodeState:
    code: int
    state: State
    updated_at: str
    detail: str | None = None  # reason for not_found / failed / blocked
    ref_code: int | None = None  # redirected to / duplicate of
    sha256: str | None = None
    archive_file: str | None = None
    archive_offset: int | None = None
    published_at: str | None = None
    revision: int | None = None
    attempts: int = 0


@dataclass(frozen=True)
class ArchivedLine:
    """Where one archived record lives, for recording and for repair."""

    code: int
    sha256: str
    archive_file: str
    offset: int
    end: int
    published_at: str | None
    revision: int
    # The CRC-32 of the line's bytes, as written: whether the line is still
    # the one written (None for lines an earlier version recorded).
    line_crc32: int | None = None


class Ledger(Protocol):
    """What the crawler needs of a ledger; SQLiteLedger is the embedded one."""

    # Look-ups: each costs the same however many codes the ledger holds.
    def get(self, code: int) -> CodeState | None: ...

    def states_between(self, low: int, high: int) -> dict[int, CodeState]: ...

    def code_for_hash(self, sha256: str) -> int | None: ...

    def highest_story_code(self) -> int | None: ...

    def codes_published_since(self, iso_time: str) -> Iterator[int]: ...

    def codes_in_states(
        self,
        states: Iterable[State],
        *,
        after: int = 0,
        limit: int = 1000,
        oldest_first: bool = False,
    ) -> list[int]: ...

    # Outcomes.
    def record_archived(self, line: ArchivedLine) -> None: ...

    def record(
        self, code: int, state: State, *, detail: str | None = None, ref_code: int | None = None
    ) -> None: ...

    # Agreement with the archive files.
    def committed_sizes(self) -> dict[str, int]: ...

    def adopt_lines(self, archive_file: str, lines: list[ArchivedLine], size: int) -> None: ...

    def forget_archived_after(self, archive_file: str, size: int) -> list[int]: ...

    def replace_archived(
        self, lines: Iterable[ArchivedLine], sizes: dict[str, int]
    ) -> list[int]: ...

    # A vanished file, and a rewrite that moves lines.
    def forget_file(self, archive_file: str) -> list[int]: ...

    def lower_committed_size(self, archive_file: str, size: int) -> None: ...

    # WARC captures lost, and captured again.
    def forget_captures(self, codes: Iterable[int]) -> list[int]: ...

    def captured_again(self, codes: Iterable[int]) -> None: ...

    def archived(self) -> Iterator[CodeState]: ...

    # Reporting.
    def counts(self) -> dict[str, int]: ...

    def code_range(self) -> tuple[int | None, int | None]: ...

    def newest_story(self) -> CodeState | None: ...

    def record_run(self, run_id: str, summary: dict[str, Any]) -> None: ...

    def last_run(self) -> dict[str, Any] | None: ...

    def recent_runs(self, count: int) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...
