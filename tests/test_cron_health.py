"""``scrapy archive-status --check`` reaches each of its four statuses on real
archives: made by real crawls, and by the run-file and ledger APIs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.archive.lock import RunLock
from crawler.runs import finish_run_file, read_runs, start_run_file
from tests.crawling import crawl_cli, scrapy_command
from tests.replica import ReplicaSite, make_story


def check(archive_dir: Path, *settings: str):
    options = [arg for setting in settings for arg in ("-s", setting)]
    result = scrapy_command("archive-status", "--check", "--dir", str(archive_dir), *options)
    assert result.stdout.count("\n") == 1, result.stdout + result.stderr
    assert result.stderr == ""
    return result


def recent_story(code: int, hours_ago: float = 1):
    return make_story(code, published=datetime.now(UTC) - timedelta(hours=hours_ago))


def fresh_archive(replica: ReplicaSite, archive_dir: Path, **settings) -> None:
    replica.add_stories(recent_story(code) for code in range(490000, 490003))
    result = crawl_cli(
        "stories", replica.url, archive_dir, settings=settings, codes="490000-490003"
    )
    assert result.exit_status == 0, result.log


def test_ok_after_a_good_run_with_a_fresh_story(replica, archive_dir) -> None:
    fresh_archive(replica, archive_dir)
    result = check(archive_dir)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("ARCHIVE OK - last run ")
    assert "(stories) exit 0" in result.stdout
    # Published an hour before the crawl; a slow machine adds its minutes.
    assert re.search(r"newest story 490002 published 1h(?: [1-9]m)? ago", result.stdout)
    assert "| silence=" in result.stdout


def test_warning_for_failed_codes_over_the_limit(replica, archive_dir) -> None:
    replica.set_fault(490003, "status", status=500)
    fresh_archive(replica, archive_dir, ARCHIVE_FAILED_MAX_RATIO=0.5, RETRY_TIMES=0)
    assert check(archive_dir).returncode == 0
    result = check(archive_dir, "ARCHIVE_CHECK_MAX_FAILED=0")
    assert result.returncode == 1, result.stdout
    assert result.stdout.startswith("ARCHIVE WARNING - 1 failed or blocked codes (over 0)")


def test_blocked_codes_count_with_failed_ones(replica, archive_dir) -> None:
    # A site answering a share of requests with a challenge leaves those codes
    # unarchived as surely as errors do.
    replica.set_blocked(490003, "challenge")
    replica.set_blocked(490004, "maintenance", status=503)
    replica.add_stories(recent_story(code) for code in range(490000, 490003))
    crawl_cli(
        "stories", replica.url, archive_dir, settings={"RETRY_TIMES": 0}, codes="490000-490004"
    )
    result = check(archive_dir, "ARCHIVE_CHECK_MAX_FAILED=1")
    assert result.stdout.startswith("ARCHIVE WARNING - "), result.stdout
    assert "2 failed or blocked codes (over 1)" in result.stdout
    assert " failed=2;1 " in result.stdout


def test_warning_when_the_disk_is_nearly_full(replica, archive_dir) -> None:
    fresh_archive(replica, archive_dir)
    result = check(archive_dir, "ARCHIVE_CHECK_MIN_FREE=100%")
    assert result.returncode == 1, result.stdout
    assert result.stdout.startswith("ARCHIVE WARNING - disk nearly full: ")


def test_warning_when_the_last_run_failed_too_many_codes(replica, archive_dir) -> None:
    replica.set_fault(490003, "status", status=500)
    replica.add_stories(recent_story(code) for code in range(490000, 490003))
    result = crawl_cli(
        "stories", replica.url, archive_dir, settings={"RETRY_TIMES": 0}, codes="490000-490003"
    )
    assert result.exit_status == 3
    status = check(archive_dir)
    assert status.returncode == 1, status.stdout
    assert "(stories) exited 3 (too many codes failed or were blocked)" in status.stdout


def test_critical_when_no_new_story_for_longer_than_the_silence(replica, archive_dir) -> None:
    replica.add_story(recent_story(490000, hours_ago=30))
    result = crawl_cli("stories", replica.url, archive_dir, codes="490000")
    assert result.exit_status == 0
    status = check(archive_dir)
    assert status.returncode == 2, status.stdout
    assert status.stdout.startswith("ARCHIVE CRITICAL - no new story for 1d 6h (newest 490000)")
    assert check(archive_dir, "ARCHIVE_CHECK_MAX_SILENCE=2d").returncode == 0


def test_critical_when_the_last_run_found_the_layout_changed(replica, archive_dir) -> None:
    fresh_archive(replica, archive_dir)
    # A later run that ended with exit 8, recorded through the run-file API.
    now = datetime.now(UTC).isoformat()
    start_run_file(archive_dir, "20991231T000000.000000Z-aaaaaa", "latest", {}, now)
    finish_run_file(
        archive_dir,
        "20991231T000000.000000Z-aaaaaa",
        {
            "spider": "latest",
            "started_at": now,
            "finished_at": now,
            "exit_status": 8,
            "exit_meaning": "the site's layout changed",
        },
    )
    result = check(archive_dir)
    assert result.returncode == 2, result.stdout
    assert result.stdout.startswith(
        "ARCHIVE CRITICAL - last run 20991231T000000.000000Z-aaaaaa (latest) exited 8"
    )


def test_a_run_going_on_is_ok_and_one_that_died_is_a_warning(replica, archive_dir) -> None:
    fresh_archive(replica, archive_dir)
    run_id = "20991231T000000.000000Z-bbbbbb"
    with RunLock(archive_dir):
        start_run_file(archive_dir, run_id, "latest", {}, datetime.now(UTC).isoformat())
        going_on = check(archive_dir)
    assert going_on.returncode == 0, going_on.stdout
    assert f"last run {run_id} (latest) running since" in going_on.stdout
    died = check(archive_dir)
    assert died.returncode == 1, died.stdout
    assert f"last run {run_id} (latest) never finished (killed)" in died.stdout
    assert read_runs(archive_dir)[-1]["status"] == "running"  # the check only reads


def test_unknown_when_there_is_no_archive(tmp_path: Path) -> None:
    result = check(tmp_path / "nowhere")
    assert result.returncode == 3
    assert result.stdout.startswith("ARCHIVE UNKNOWN - cannot read the archive in ")


def test_unknown_when_the_ledger_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "ledger.sqlite3").write_bytes(b"this is not a database" * 100)
    result = check(tmp_path)
    assert result.returncode == 3, result.stdout
    assert "ARCHIVE UNKNOWN - cannot read the archive" in result.stdout


def test_unknown_for_a_threshold_that_does_not_parse(replica, archive_dir) -> None:
    fresh_archive(replica, archive_dir)
    result = check(archive_dir, "ARCHIVE_CHECK_MAX_SILENCE=a while")
    assert result.returncode == 3
    assert "ARCHIVE_CHECK_MAX_SILENCE: 'a while' is not a duration" in result.stdout


def test_unknown_before_the_first_run(tmp_path: Path) -> None:
    from crawler.ledger import SQLiteLedger

    SQLiteLedger.in_directory(tmp_path).close()
    result = check(tmp_path, "ARCHIVE_CHECK_MAX_SILENCE=0")
    assert result.returncode == 3, result.stdout
    assert "no run recorded yet" in result.stdout
