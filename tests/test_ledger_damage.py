"""Ledger damage is a repair case, not a traceback, and every archive command
answers an unusable archive with one line and its documented exit status.

The damage is made the way disks make it: garbage over a few pages in the
middle of a large ledger, a ledger cut short, a garbage header."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.archive.lock import RunLock
from crawler.archive.verify import verify_directory
from crawler.ledger import LedgerDamaged, SQLiteLedger
from tests.archives import archived_codes, story, write_run
from tests.crawling import ROOT, crawl, crawl_cli, scrapy_command
from tests.replica import make_story

PAGE = 4096
KILLED_WITH_A_WAL = """
import os, sys
from crawler.ledger import SQLiteLedger, State
ledger = SQLiteLedger.in_directory(sys.argv[1])
ledger.record(999999, State.NOT_FOUND, detail="404")
os._exit(0)
"""
STORIES = 3000


def large_archive(directory: Path) -> Path:
    write_run(directory, "run1", [story(code, words=2) for code in range(1, STORIES + 1)])
    return directory / SQLiteLedger.FILENAME


def garbage(path: Path, at: int, length: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(at)
        handle.write(random.Random(at).randbytes(length))


def one_line(result) -> str:  # type: ignore[no-untyped-def]
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    return str(line)


def assert_rebuilt(archive_dir: Path, stdout: str) -> None:
    assert "moved aside to ledger.sqlite3.damaged-" in stdout
    assert "those codes are asked again" in stdout
    assert stdout.rstrip().endswith(f"{STORIES} stories: clean")
    assert archived_codes(archive_dir) == set(range(1, STORIES + 1))
    (aside,) = archive_dir.glob("ledger.sqlite3.damaged-*[0-9]Z")
    assert aside.stat().st_size > 0


def test_garbage_pages_in_a_large_ledger_are_found_and_the_ledger_rebuilt(
    archive_dir: Path,
) -> None:
    ledger_path = large_archive(archive_dir)
    pages = ledger_path.stat().st_size // PAGE
    assert pages > 100
    garbage(ledger_path, (pages // 2) * PAGE, 4 * PAGE)

    report = verify_directory(archive_dir)
    assert [p.kind for p in report.problems] == ["ledger_damaged"]
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        # What a crawl meets: one clear error, not an sqlite3 traceback.
        with pytest.raises(LedgerDamaged, match="archive-verify --repair"):
            ledger.states_between(1, STORIES)
    finally:
        ledger.close()

    checked = scrapy_command("archive-verify", "--dir", str(archive_dir))
    assert checked.returncode == 1
    assert "ledger_damaged: ledger.sqlite3:" in checked.stdout
    assert "Traceback" not in checked.stderr

    repaired = scrapy_command("archive-verify", "--dir", str(archive_dir), "--repair")
    assert repaired.returncode == 0, repaired.stdout
    assert_rebuilt(archive_dir, repaired.stdout)


def test_a_ledger_cut_short_is_found_and_rebuilt(archive_dir: Path) -> None:
    ledger_path = large_archive(archive_dir)
    with ledger_path.open("r+b") as handle:
        handle.truncate(ledger_path.stat().st_size // 2)
    assert [p.kind for p in verify_directory(archive_dir).problems] == ["ledger_damaged"]
    repaired = scrapy_command("archive-verify", "--dir", str(archive_dir), "--repair")
    assert repaired.returncode == 0, repaired.stdout
    assert_rebuilt(archive_dir, repaired.stdout)


def test_a_garbage_header_and_its_wal_are_moved_aside_and_the_ledger_rebuilt(
    archive_dir: Path,
) -> None:
    ledger_path = large_archive(archive_dir)
    # A run killed with its last outcomes still in the WAL...
    subprocess.run(
        [sys.executable, "-c", KILLED_WITH_A_WAL, str(archive_dir)], check=True, cwd=ROOT
    )
    wal = ledger_path.with_name(ledger_path.name + "-wal")
    in_wal = wal.read_bytes()
    assert in_wal
    # ... and then the main file's header is overwritten.
    garbage(ledger_path, 0, 100)
    with pytest.raises(LedgerDamaged):
        SQLiteLedger.in_directory(archive_dir)

    status = scrapy_command("archive-status", "--dir", str(archive_dir))
    assert status.returncode == 7
    line = one_line(status)
    assert "is damaged" in line and "scrapy archive-verify --repair" in line
    assert status.stdout == ""

    checked = scrapy_command("archive-verify", "--dir", str(archive_dir))
    assert checked.returncode == 1
    assert "ledger_damaged" in checked.stdout

    repaired = scrapy_command("archive-verify", "--dir", str(archive_dir), "--repair")
    assert repaired.returncode == 0, repaired.stdout
    assert_rebuilt(archive_dir, repaired.stdout)
    (aside_wal,) = archive_dir.glob("ledger.sqlite3.damaged-*-wal")
    assert aside_wal.read_bytes() == in_wal


def test_no_archive_is_one_line_and_status_2(tmp_path: Path) -> None:
    for command in ("archive-verify", "archive-status"):
        result = scrapy_command(command, "--dir", str(tmp_path / "nowhere"))
        assert result.returncode == 2
        assert "no archive in" in one_line(result)


def test_an_unreadable_file_is_one_line_and_status_7(tmp_path: Path) -> None:
    archive_dir = tmp_path / "archive"
    write_run(archive_dir, "run1", [story(1)])
    # Tests run as root, whom permissions do not stop: a directory where an
    # archive file should be cannot be read either.
    (archive_dir / "stories-run2.jsonl").mkdir()
    result = scrapy_command("archive-verify", "--dir", str(archive_dir))
    assert result.returncode == 7
    assert "cannot read the archive" in one_line(result)

    (archive_dir / "stories-run2.jsonl").rmdir()
    (archive_dir / SQLiteLedger.FILENAME).unlink()
    (archive_dir / SQLiteLedger.FILENAME).mkdir()
    result = scrapy_command("archive-status", "--dir", str(archive_dir))
    assert result.returncode == 7
    assert "cannot read the archive" in one_line(result)


def test_status_reads_while_a_run_holds_the_lock(archive_dir: Path) -> None:
    write_run(archive_dir, "run1", [story(1), story(2)])
    with RunLock(archive_dir):
        result = scrapy_command("archive-status", "--dir", str(archive_dir))
    assert result.returncode == 0, result.stderr
    assert "archived 2" in result.stdout


def test_a_deleted_ledger_is_rebuilt_from_the_files(archive_dir: Path) -> None:
    write_run(archive_dir, "run1", [story(1), story(2)])
    (archive_dir / SQLiteLedger.FILENAME).unlink()
    status = scrapy_command("archive-status", "--dir", str(archive_dir))
    assert status.returncode == 2
    assert "archive-verify --repair" in one_line(status)
    checked = scrapy_command("archive-verify", "--dir", str(archive_dir))
    assert checked.returncode == 1
    assert "ledger_absent" in checked.stdout
    repaired = scrapy_command("archive-verify", "--dir", str(archive_dir), "--repair")
    assert repaired.returncode == 0, repaired.stdout
    assert archived_codes(archive_dir) == {1, 2}


def damage_table(ledger_path: Path, table: str) -> None:
    """Garbage over the root page of one of the ledger file's tables."""
    db = sqlite3.connect(ledger_path)
    try:
        (root,) = db.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
    finally:
        db.close()
    garbage(ledger_path, (root - 1) * PAGE, PAGE)


@pytest.mark.parametrize("table", ["codes", "warc_captures", "warc_payloads_by_file"])
def test_a_crawl_on_a_damaged_ledger_stops_with_one_line_and_status_7(
    replica, archive_dir: Path, table: str
) -> None:
    replica.add_stories(make_story(code) for code in range(493000, 493040))
    assert crawl("stories", replica.url, archive_dir, codes="493000-493019").exit_status == 0
    damage_table(archive_dir / SQLiteLedger.FILENAME, table)
    result = crawl_cli("stories", replica.url, archive_dir, codes="493000-493039")
    assert result.exit_status == 7, result.log
    assert "Traceback" not in result.log
    assert "is damaged" in result.log and "scrapy archive-verify --repair" in result.log
    repaired = scrapy_command("archive-verify", "--dir", str(archive_dir), "--repair")
    assert repaired.returncode == 0, repaired.stdout
