"""What archive-status and the refresh planning read from the ledger: by
instant, not by text, and not fooled by a clock that was once ahead."""

from __future__ import annotations

from pathlib import Path

from crawler.ledger import ArchivedLine, SQLiteLedger, State


def archived(ledger: SQLiteLedger, code: int, published_at: str) -> None:
    ledger.record_archived(
        ArchivedLine(
            code=code,
            sha256=f"{code:064x}",
            archive_file="stories-run.jsonl",
            offset=code * 10,
            end=code * 10 + 10,
            published_at=published_at,
            revision=1,
        )
    )


def test_newest_story_and_published_since_compare_instants(tmp_path: Path) -> None:
    ledger = SQLiteLedger(tmp_path / "ledger.sqlite3")
    try:
        archived(ledger, 5, "2024-01-14T09:41:00+03:30")  # 06:11 UTC
        archived(ledger, 6, "2024-01-14T06:30:00Z")  # later, though it sorts first as text
        archived(ledger, 7, "2024-01-14T05:00:00+00:00")
        ledger.record(8, State.NOT_FOUND, detail="404")
        newest = ledger.newest_story()
        assert newest is not None and newest.code == 6
        assert list(ledger.codes_published_since("2024-01-14T06:00:00Z")) == [5, 6]
        assert ledger.code_range() == (5, 8)
    finally:
        ledger.close()


def test_the_last_run_is_the_last_recorded_whatever_its_clock_said(tmp_path: Path) -> None:
    ledger = SQLiteLedger(tmp_path / "ledger.sqlite3")
    try:
        ledger.record_run("ahead", {"started_at": "2031-01-01T00:00:00Z", "spider": "stories"})
        ledger.record_run("now", {"started_at": "2026-11-28T00:00:00Z", "spider": "stories"})
        last = ledger.last_run()
        assert last is not None and last["started_at"] == "2026-11-28T00:00:00Z"
    finally:
        ledger.close()
