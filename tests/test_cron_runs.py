"""Run files, killed runs, ``scrapy archive-runs`` and waiting for the lock."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.archive.lock import RunLock
from crawler.ledger import SQLiteLedger
from crawler.runs import (
    finish_run_file,
    mark_killed_runs,
    read_runs,
    start_run_file,
)
from tests.crawling import crawl_cli, scrapy_command, start_cli, wait_for
from tests.replica import ReplicaSite, make_story
from tests.verifying import assert_ledger_matches_archive


def running_files(archive_dir: Path) -> list[dict]:
    return [run for run in read_runs(archive_dir) if run["status"] == "running"]


def recent_story(code: int):
    return make_story(code, published=datetime.now(UTC) - timedelta(hours=1))


def test_a_killed_run_is_marked_killed_by_the_next(replica: ReplicaSite, archive_dir) -> None:
    replica.add_stories(recent_story(c) for c in range(480000, 480004))
    for code in range(480000, 480004):
        replica.set_fault(code, "slow", delay=5.0)
    victim = start_cli("stories", replica.url, archive_dir, codes="480000-480003")
    wait_for(lambda: (archive_dir / "runs").is_dir() and bool(running_files(archive_dir)))
    (running,) = running_files(archive_dir)
    assert running["pid"] == victim.pid
    assert running["arguments"] == {"codes": "480000-480003"}
    live = scrapy_command("archive-status", "--dir", str(archive_dir))
    assert (
        f"  run {running['run_id']} (stories) running since {running['started_at']}"
        in live.stdout.splitlines()
    ), live.stdout
    victim.kill()
    victim.communicate()

    check = scrapy_command(
        "archive-status", "--check", "--dir", str(archive_dir), "-s", "ARCHIVE_CHECK_MAX_SILENCE=0"
    )
    assert check.returncode == 1, check.stdout
    assert f"last run {running['run_id']} (stories) never finished" in check.stdout
    # Before any run marks it, the reading commands say the same as the check:
    # no process holds the lock, so the run is not running.
    listed = scrapy_command("archive-runs", "--dir", str(archive_dir))
    (row,) = listed.stdout.splitlines()[1:]
    assert row.split()[0] == running["run_id"] and " killed " in row, listed.stdout
    status = scrapy_command("archive-status", "--dir", str(archive_dir))
    assert (
        f"  last run {running['run_id']} (stories), started {running['started_at']}:"
        " killed (it never finished)"
    ) in status.stdout.splitlines(), status.stdout

    for code in range(480000, 480004):
        replica.clear_fault(code)
    result = crawl_cli("stories", replica.url, archive_dir, codes="480000-480003")
    assert result.exit_status == 0, result.log
    assert f"Marked killed (never finished): run {running['run_id']}" in result.log
    killed, finished = read_runs(archive_dir)
    assert (killed["run_id"], killed["status"]) == (running["run_id"], "killed")
    assert killed["killed_noticed_by"] == finished["run_id"]
    assert finished["status"] == "finished"
    with sqlite3.connect(archive_dir / SQLiteLedger.FILENAME) as db:
        rows = dict(db.execute("SELECT run_id, exit_status FROM runs"))
    assert rows == {killed["run_id"]: None, finished["run_id"]: 0}

    listing = scrapy_command("archive-runs", "--dir", str(archive_dir))
    assert listing.returncode == 0, listing.stderr
    header, first, second = listing.stdout.splitlines()
    assert header.split()[:5] == ["run", "spider", "started", "ended", "status"]
    assert first.split()[0] == killed["run_id"] and " killed " in first
    assert second.split()[0] == finished["run_id"] and " finished " in second
    assert second.split()[-4:] == ["0", "4", "4", "0"]  # exit, asked, new, failed
    assert_ledger_matches_archive(archive_dir)


def test_archive_runs_last_and_json(tmp_path: Path) -> None:
    directory = tmp_path / "archive"
    directory.mkdir()
    SQLiteLedger.in_directory(directory).close()
    for n in range(3):
        run_id = f"20261128T0{n}0000.000000Z-00000{n}"
        start_run_file(directory, run_id, "latest", {}, f"2026-11-28T0{n}:00:00Z")
        finish_run_file(
            directory,
            run_id,
            {"spider": "latest", "started_at": f"2026-11-28T0{n}:00:00Z", "exit_status": n},
        )
    # Files someone left in runs/ sort after the run ids; they are not runs.
    (directory / "runs" / "notes.json").write_text("not json")
    (directory / "runs" / "20261128T020000.000000Z-000002.json.json").write_text("{}")
    result = scrapy_command("archive-runs", "--dir", str(directory), "--last", "2", "--json")
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)
    assert [run["exit_status"] for run in runs] == [1, 2]
    assert [run["run_id"] for run in runs] == ["20261128T010000.000000Z-000001", run_id]
    assert {run["status"] for run in runs} == {"finished"}
    missing = scrapy_command("archive-runs", "--dir", str(tmp_path / "nothing"))
    assert missing.returncode == 2


def test_mark_killed_runs_marks_every_run_that_died_since_the_last_good_one(
    tmp_path: Path,
) -> None:
    r0, r1, r2, r3 = (f"20261128T0{n}0000.000000Z-00000{n}" for n in range(4))
    start_run_file(tmp_path, r0, "latest", {}, "2026-11-28T00:00:00Z")
    finish_run_file(tmp_path, r0, {"spider": "latest", "exit_status": 0})
    start_run_file(tmp_path, r1, "stories", {"codes": "1-5"}, "2026-11-28T01:00:00Z")
    start_run_file(tmp_path, r2, "latest", {}, "2026-11-28T02:00:00Z")
    start_run_file(tmp_path, r3, "latest", {}, "2026-11-28T03:00:00Z")
    ledger = SQLiteLedger.in_directory(tmp_path)
    try:
        assert mark_killed_runs(tmp_path, r3, ledger) == [r1, r2]
        assert mark_killed_runs(tmp_path, r3, ledger) == []
        assert ledger.last_run()["run_id"] == r2  # killed runs get a ledger row too
    finally:
        ledger.close()
    statuses = [run["status"] for run in read_runs(tmp_path)]
    assert statuses == ["finished", "killed", "killed", "running"]
    assert [run["run_id"] for run in read_runs(tmp_path, last=2)] == [r2, r3]


def test_lock_wait_runs_once_the_lock_is_freed(replica: ReplicaSite, archive_dir) -> None:
    replica.add_story(make_story(481000))
    archive_dir.mkdir(parents=True)
    lock = RunLock(archive_dir)
    lock.acquire()
    try:
        waiting = start_cli(
            "stories",
            replica.url,
            archive_dir,
            settings={"ARCHIVE_LOCK_WAIT": "5m"},
            codes="481000",
        )
        assert waiting.stdout is not None
        lines = []
        for line in waiting.stdout:
            lines.append(line)
            if "Waiting up to 5m for the archive lock" in line:
                break
        assert replica.requests_total() == 0
    finally:
        lock.release()
    rest, _ = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, "".join(lines) + rest
    assert "Got the archive lock after" in rest
    assert [r["story_code"] for r in json_records(archive_dir)] == [481000]


def json_records(archive_dir: Path) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted(archive_dir.glob("stories-*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
    ]


def test_lock_wait_gives_up_with_exit_6(replica: ReplicaSite, archive_dir) -> None:
    archive_dir.mkdir(parents=True)
    with RunLock(archive_dir):
        result = crawl_cli(
            "stories", replica.url, archive_dir, settings={"ARCHIVE_LOCK_WAIT": "1s"}, codes="1"
        )
    assert result.exit_status == 6, result.log
    assert "Waiting up to 1s for the archive lock" in result.log
    assert result.log.splitlines()[-1].startswith("scrapy crawl: another run holds the archive")
    assert "Traceback" not in result.log
    assert replica.requests_total() == 0


def test_a_lock_held_by_another_tool_is_named_as_such(replica: ReplicaSite, archive_dir) -> None:
    # The README's backup recipe: `flock archive/.lock rsync ...` says nothing in the file.
    archive_dir.mkdir(parents=True)
    fd = os.open(archive_dir / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = crawl_cli(
            "stories", replica.url, archive_dir, settings={"ARCHIVE_LOCK_WAIT": "1s"}, codes="1"
        )
    finally:
        os.close(fd)
    assert result.exit_status == 6, result.log
    holder = "a process that did not say who it is: not a story-archive run, a backup say"
    assert f"Waiting up to 1s for the archive lock: {holder}" in result.log
    assert result.log.splitlines()[-1].endswith(f"({holder})")


def test_sigterm_while_waiting_for_the_lock_exits_5(replica: ReplicaSite, archive_dir) -> None:
    archive_dir.mkdir(parents=True)
    with RunLock(archive_dir):
        waiting = start_cli(
            "stories", replica.url, archive_dir, settings={"ARCHIVE_LOCK_WAIT": "5m"}, codes="1"
        )
        try:
            assert waiting.stdout is not None
            for line in waiting.stdout:
                if "Waiting up to" in line:
                    break
            waiting.send_signal(signal.SIGTERM)
            rest, _ = waiting.communicate(timeout=60)
        finally:
            waiting.kill()
            waiting.communicate()
    assert waiting.returncode == 5, rest
    assert "stopped by SIGTERM while waiting for the archive lock" in rest
    assert "Traceback" not in rest


def test_a_lock_wait_that_is_not_a_duration_exits_2(replica: ReplicaSite, archive_dir) -> None:
    result = crawl_cli(
        "stories", replica.url, archive_dir, settings={"ARCHIVE_LOCK_WAIT": "soon"}, codes="1"
    )
    assert result.exit_status == 2, result.log
    assert "ARCHIVE_LOCK_WAIT: 'soon' is not a duration" in result.log
    assert replica.requests_total() == 0
