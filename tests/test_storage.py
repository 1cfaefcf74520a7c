"""Guarantee 7: a full disk or a read-only archive stops the run with exit 7,
and no code is marked archived without its line.

The archive lives on a small tmpfs mounted by the test (CI runs as root), so
the errors are the kernel's own ENOSPC and EROFS, not simulations.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.archive.verify import verify
from crawler.errors import ExitCode
from crawler.ledger import SQLiteLedger, State
from tests.crawling import crawl_cli
from tests.replica import make_story
from tests.test_run_components import open_run
from tests.verifying import assert_ledger_matches_archive


def mount(target: Path, options: str) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], check=True)


def remount(target: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(target)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mount(disk, "size=192k")
    try:
        yield disk
    finally:
        subprocess.run(
            ["umount", "--lazy", str(disk)], check=False
        )  # even if a test left a file open


def test_full_disk_stops_the_run_and_nothing_is_archived_without_its_line(
    replica, small_disk
) -> None:
    replica.add_stories(make_story(c) for c in range(491000, 491200))
    archive_dir = small_disk / "archive"
    result = crawl_cli("stories", replica.url, archive_dir, codes="491000-491199")
    assert result.exit_status == 7, result.log
    assert "Stopping: cannot write" in result.log
    assert "Traceback" not in result.log  # one line per failure, for cron's mail
    remount(small_disk, "size=64m")
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        report = verify(archive_dir, ledger)
    finally:
        ledger.close()
    # Lines beyond the ledger may exist (adopted at the next start); a ledger
    # entry without its line may not.
    assert not [p for p in report.problems if p.kind in ("line_missing", "bad_line")]
    resumed = crawl_cli("stories", replica.url, archive_dir, codes="491000-491199")
    assert resumed.exit_status == 0, resumed.log
    codes = [r["story_code"] for r in resumed.records()]
    assert sorted(codes) == list(range(491000, 491200))
    assert_ledger_matches_archive(archive_dir)


def test_read_only_archive_exits_7_touching_nothing(replica, small_disk) -> None:
    replica.add_story(make_story(492000))
    archive_dir = small_disk / "archive"
    archive_dir.mkdir()
    remount(small_disk, "ro")
    try:
        result = crawl_cli("stories", replica.url, archive_dir, codes="492000")
    finally:
        remount(small_disk, "rw")
    assert result.exit_status == 7, result.log
    assert "Read-only file system" in result.log.splitlines()[-1]
    assert replica.requests_total() == 0
    assert list(archive_dir.iterdir()) == []


def fill(disk: Path) -> Path:
    """A file that takes every byte the disk has left."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(bytes(4096))
        except OSError:
            pass
    return filler


def test_a_last_commit_the_disk_refuses_makes_the_run_exit_7(small_disk) -> None:
    archive_dir = small_disk / "archive"
    run = open_run(archive_dir)
    run.ledger.hold_commits(3600)  # as a crawl holds them, with the tick not come yet
    for code in range(1, 11):
        run.settle(code, State.NOT_FOUND, detail="HTTP 404")
    filler = fill(small_disk)
    assert run.finalize("finished") is ExitCode.STORAGE
    assert run.stats.get_value("archive/exit_status") == 7
    filler.unlink()
    # The lock is released and nothing is recorded as settled that was not:
    # the next run asks those codes again.
    again = open_run(archive_dir)
    assert again.ledger.code_range() == (None, None)
    assert again.finalize("finished") is ExitCode.OK
