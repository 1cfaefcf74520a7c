"""Guarantee 2 under fire: 3,000 codes, killed with SIGKILL five times at
random moments, re-run with the same command each time."""

from __future__ import annotations

from tests.killloop import run_kill_loop
from tests.verifying import assert_ledger_matches_archive


def test_kill_loop_loses_nothing_and_duplicates_nothing(replica, archive_dir) -> None:
    report = run_kill_loop(replica, archive_dir, count=3000, kills=5)
    print("\n".join(report.lines()))
    assert report.kills == 5
    assert report.final_exit_status == 0
    assert report.lost == []
    assert report.duplicates == []
    assert report.archived == report.stories
    assert report.refetched_settled == []
    assert_ledger_matches_archive(archive_dir)
