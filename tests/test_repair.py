"""Guarantees 1 and 8: torn tails moved aside, the ledger repaired from the
archive, and ``scrapy archive-verify [--repair]``."""

from __future__ import annotations

import json
from pathlib import Path

from crawler.archive.repair import repair
from crawler.ledger import SQLiteLedger, State
from tests.crawling import crawl, crawl_cli, scrapy_command
from tests.replica import make_story
from tests.test_crawl_stories import ledger_state
from tests.verifying import assert_ledger_matches_archive


def archive_file(archive_dir: Path) -> Path:
    (path,) = archive_dir.glob("stories-*.jsonl")
    return path


def crawled(replica, archive_dir, codes: range) -> Path:
    replica.add_stories(make_story(code) for code in codes)
    result = crawl("stories", replica.url, archive_dir, codes=f"{codes[0]}-{codes[-1]}")
    assert result.exit_status == 0
    return archive_file(archive_dir)


def test_torn_tail_is_moved_aside_and_reported_at_the_next_start(replica, archive_dir) -> None:
    path = crawled(replica, archive_dir, range(490100, 490105))
    lines = path.read_bytes().splitlines(keepends=True)
    # A kill in mid-write: the last record's first half, no newline.
    torn = lines[-1][: len(lines[-1]) // 2]
    path.write_bytes(b"".join(lines) + torn)
    result = crawl_cli("stories", replica.url, archive_dir, codes="490100-490104")
    assert result.exit_status == 0, result.log
    assert "Archive repaired at start" in result.log
    assert path.read_bytes() == b"".join(lines)
    (moved,) = (archive_dir / "torn").iterdir()
    assert moved.read_bytes() == torn
    assert replica.story_requests(490104) == 1  # settled codes are not fetched again
    assert_ledger_matches_archive(archive_dir)


def test_lines_written_before_a_kill_are_adopted_into_the_ledger(replica, archive_dir) -> None:
    path = crawled(replica, archive_dir, range(490200, 490203))
    # The ledger commit of the last line never happened (killed in between).
    ledger = SQLiteLedger.in_directory(archive_dir)
    last = json.loads(path.read_bytes().splitlines()[-1])
    size = path.stat().st_size
    ledger.forget_archived_after(path.name, size - len(path.read_bytes().splitlines(True)[-1]))
    assert ledger.get(last["story_code"]) is None
    report = repair(archive_dir, ledger)
    ledger.close()
    assert (report.adopted, report.torn, report.forgotten) == (1, [], [])
    assert ledger_state(archive_dir, last["story_code"]).state is State.ARCHIVED
    assert_ledger_matches_archive(archive_dir)


def test_lines_lost_in_a_reboot_are_fetched_again(replica, archive_dir) -> None:
    path = crawled(replica, archive_dir, range(490300, 490304))
    lines = path.read_bytes().splitlines(keepends=True)
    lost = json.loads(lines[-1])["story_code"]
    path.write_bytes(b"".join(lines[:-1]))  # the page cache never reached the disk
    result = crawl("stories", replica.url, archive_dir, codes="490300-490303")
    assert result.stat("archive/repair/forgotten") == 1
    assert replica.story_requests(lost) == 2
    assert sorted(r["story_code"] for r in result.records()) == list(range(490300, 490304))
    assert_ledger_matches_archive(archive_dir)


def test_archive_verify_is_clean_on_a_good_archive(replica, archive_dir) -> None:
    crawled(replica, archive_dir, range(490400, 490403))
    result = scrapy_command("archive-verify", "--dir", str(archive_dir))
    assert result.returncode == 0
    assert result.stdout.strip().endswith("3 stories: clean")


def test_archive_verify_reports_and_repairs(replica, archive_dir) -> None:
    path = crawled(replica, archive_dir, range(490500, 490504))
    lines = path.read_bytes().splitlines(keepends=True)
    # A repeated record, a garbage line in the middle, and a line the ledger lacks.
    path.write_bytes(lines[0] + lines[1] + b'{"story_code": 1, "tit\n' + lines[2] + lines[1])
    report = json.loads(
        scrapy_command("archive-verify", "--dir", str(archive_dir), "--json").stdout
    )
    kinds = sorted({p["kind"] for p in report["problems"]})
    assert kinds == ["bad_line", "duplicate_code", "ledger_mismatch", "line_missing",
                     "size_mismatch"]  # fmt: skip
    assert not report["ok"]
    failed = scrapy_command("archive-verify", "--dir", str(archive_dir))
    assert failed.returncode == 1

    repaired = scrapy_command("archive-verify", "--dir", str(archive_dir), "--repair")
    assert repaired.returncode == 0, repaired.stdout
    assert "repaired: moved bad line(s)" in repaired.stdout
    assert "repaired: moved repeated line(s)" in repaired.stdout
    assert "forgotten, the next run fetches it" in repaired.stdout
    assert path.read_bytes() == lines[0] + lines[1] + lines[2]
    assert_ledger_matches_archive(archive_dir)
    # The story whose line was lost is fetched again by the next run.
    result = crawl("stories", replica.url, archive_dir, codes="490500-490503")
    assert sorted(r["story_code"] for r in result.records()) == list(range(490500, 490504))
    assert_ledger_matches_archive(archive_dir)


def test_archive_verify_refuses_while_a_run_holds_the_lock(replica, archive_dir) -> None:
    from crawler.archive.lock import RunLock

    crawled(replica, archive_dir, range(490600, 490601))
    with RunLock(archive_dir):
        result = scrapy_command("archive-verify", "--dir", str(archive_dir), "--repair")
    assert result.returncode == 6
    assert "another run holds the archive lock" in result.stderr
    assert len(result.stderr.splitlines()) == 1
