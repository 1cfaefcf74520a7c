"""``scrapy archive-demo``: a real run from the built-in replica, offline."""

from __future__ import annotations

import re
from pathlib import Path

from tests.crawling import archive_records, scrapy_command
from tests.replica import make_story
from tests.test_crawl_stories import without_crawl_time


def test_the_demo_archives_both_families_and_shows_what_it_did(archive_dir: Path) -> None:
    done = scrapy_command("archive-demo", "--dir", str(archive_dir), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    match = re.match(r"Replica of the site at (http://127\.0\.0\.1:\d+);", done.stdout)
    assert match, done.stdout
    site_url = match[1]

    assert "exit 0, the run did what it was asked" in done.stdout
    assert "archived 36, not_found 1, redirected 1" in done.stdout
    assert f"$ scrapy archive-status\nArchive {archive_dir}: 38 codes, 406001-406038" in done.stdout
    assert (archive_dir / "report.html").stat().st_size > 1_000_000  # plotly.js inlined

    expected = [
        make_story(406001 + offset, family="AB"[offset % 2]).expected_record(site_url)
        for offset in range(36)
    ]
    records = sorted(archive_records(archive_dir), key=lambda r: r["story_code"])
    assert [without_crawl_time(r) for r in records] == expected
