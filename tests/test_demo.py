"""``scrapy archive-demo``: a real run from the built-in replica, offline."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.crawling import archive_records, scrapy_command
from tests.replica import make_story
from tests.test_crawl_stories import without_crawl_time
from tests.verifying import assert_ledger_matches_archive


def test_the_demo_archives_both_families_and_shows_what_it_did(tmp_path: Path) -> None:
    archive_dir = tmp_path / "demo archive"  # a name a shell must have quoted
    done = scrapy_command("archive-demo", "--dir", str(archive_dir), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    match = re.match(r"Replica of the site at (http://127\.0\.0\.1:\d+);", done.stdout)
    assert match, done.stdout
    site_url = match[1]

    assert "exit 0, the run did what it was asked" in done.stdout
    assert "archived 36, not_found 1, redirected 1" in done.stdout
    assert (
        f"$ scrapy archive-status --dir '{archive_dir}'\nArchive {archive_dir}: 38 codes,"
        " 406001-406038"
    ) in done.stdout
    assert (archive_dir / "report.html").stat().st_size > 1_000_000  # plotly.js inlined

    expected = [
        make_story(406001 + offset, family="AB"[offset % 2]).expected_record(site_url)
        for offset in range(36)
    ]
    records = sorted(archive_records(archive_dir), key=lambda r: r["story_code"])
    assert [without_crawl_time(r) for r in records] == expected
    assert_ledger_matches_archive(archive_dir)

    # Every command the demo prints works as printed, from where it ran.
    shown = [
        line.removeprefix("$ ").removeprefix("Next: ")
        for line in done.stdout.splitlines()
        if line.startswith(("$ scrapy ", "Next: scrapy "))
    ]
    assert [shlex.split(command)[1] for command in shown] == [
        "archive-status",
        "archive-report",
        "archive-show",
    ]
    status, report, show = (scrapy_command(*shlex.split(command)[1:]) for command in shown)
    for result in (status, report, show):
        assert result.returncode == 0, result.stdout + result.stderr
    assert status.stdout in done.stdout
    assert show.stdout.startswith("Story 406002, revision 1 of 1 (current)\n")
