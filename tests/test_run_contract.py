"""The run contract cron relies on: exit statuses, the lock, the summary,
progress, and ``scrapy archive-status``."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from crawler.archive.lock import RunLock
from tests.crawling import (
    ROOT,
    SCRAPY,
    cli_command,
    crawl,
    crawl_cli,
    scrapy_command,
    start_cli,
    wait_for,
)
from tests.replica import ReplicaSite, make_story
from tests.verifying import assert_ledger_matches_archive


def slow_site(replica: ReplicaSite, codes: range, delay: float) -> None:
    for code in codes:
        replica.add_story(make_story(code))
        replica.set_fault(code, "slow", delay=delay)


def wait_for_line(process: subprocess.Popen[str], text: str) -> str:
    """Read the process's output until a line holds ``text``; what was read."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if text in line:
            return "".join(lines)
    raise AssertionError(f"the process ended without saying {text!r}:\n{''.join(lines)}")


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_failures_beyond_the_threshold_exit_3(replica, archive_dir, tmp_path) -> None:
    replica.add_stories(make_story(c) for c in range(460000, 460010))
    replica.set_fault(460005, "status", status=500)
    strict = crawl_cli("stories", replica.url, archive_dir, codes="460000-460009")
    assert strict.exit_status == 3, strict.log
    assert "Story 460005 failed: HTTP 500" in strict.log
    replica.set_fault(460006, "status", status=500)
    tolerant = crawl(
        "stories",
        replica.url,
        tmp_path / "tolerant",
        codes="460000-460009",
        settings={"ARCHIVE_FAILED_MAX_RATIO": 0.5},
    )
    assert tolerant.exit_status == 0


def test_unreachable_site_exits_4(archive_dir) -> None:
    result = crawl_cli(
        "stories", closed_port_url(), archive_dir, settings={"RETRY_TIMES": 1}, codes="1-3"
    )
    assert result.exit_status == 4, result.log
    assert (
        json.loads(next((archive_dir / "runs").glob("*.json")).read_text())["counts"]["failed"] == 3
    )


def test_robots_disallowing_everything_exits_4(replica, archive_dir) -> None:
    replica.robots = "User-agent: *\nDisallow: /\n"
    result = crawl_cli("latest", replica.url, archive_dir, settings={"LATEST_PROBE_MISSES": 2})
    assert result.exit_status == 4, result.log
    assert replica.requests_total() == replica.count("/robots.txt") == 1


def test_second_run_while_one_holds_the_lock_exits_6_touching_nothing(replica, archive_dir):
    archive_dir.mkdir(parents=True)
    replica.add_story(make_story(470000))
    with RunLock(archive_dir):
        result = crawl_cli("stories", replica.url, archive_dir, codes="470000")
    assert result.exit_status == 6
    assert result.log.splitlines()[-1].startswith("scrapy crawl: another run holds the archive")
    assert replica.requests_total() == 0
    assert sorted(p.name for p in archive_dir.iterdir()) == [".lock"]


def test_concurrent_run_is_refused_while_a_crawl_is_going(replica, archive_dir) -> None:
    slow_site(replica, range(471000, 471004), delay=4.0)
    first = start_cli("stories", replica.url, archive_dir, codes="471000-471003")
    try:
        wait_for(lambda: replica.requests_total() > 0)
        second = crawl_cli("stories", replica.url, archive_dir, codes="471000-471003")
        assert second.exit_status == 6
    finally:
        first.communicate(timeout=60)
    assert first.returncode == 0
    assert_ledger_matches_archive(archive_dir)


def test_lock_left_by_a_killed_run_does_not_block_the_next(replica, archive_dir) -> None:
    slow_site(replica, range(472000, 472004), delay=5.0)
    victim = start_cli("stories", replica.url, archive_dir, codes="472000-472003")
    wait_for(lambda: replica.requests_total() > 0)
    victim.kill()
    victim.communicate()
    assert (archive_dir / ".lock").read_text().startswith(f"pid {victim.pid} ")
    for code in range(472000, 472004):
        replica.clear_fault(code)
    result = crawl_cli("stories", replica.url, archive_dir, codes="472000-472003")
    assert result.exit_status == 0, result.log
    assert len(result.records()) == 4
    assert_ledger_matches_archive(archive_dir)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_interrupted_run_exits_5_and_resumes(replica, archive_dir, signum) -> None:
    replica.add_stories(make_story(c) for c in range(473000, 473040))
    for code in range(473010, 473040):
        replica.set_fault(code, "slow", delay=2.0)
    run = start_cli(
        "stories",
        replica.url,
        archive_dir,
        settings={"CONCURRENT_REQUESTS_PER_DOMAIN": 2, "ARCHIVE_STOP_TIMEOUT": 5},
        codes="473000-473039",
    )
    wait_for(lambda: replica.story_requests(473012) > 0)
    run.send_signal(signum)
    log, _ = run.communicate(timeout=30)
    assert run.returncode == 5, log
    # The requests in flight (2 s each) finished within ARCHIVE_STOP_TIMEOUT.
    assert "abandoned" not in log
    summary = json.loads(sorted((archive_dir / "runs").glob("*.json"))[-1].read_text())
    assert summary["exit_status"] == 5
    assert summary["codes_unfinished"] > 0
    assert_ledger_matches_archive(archive_dir)
    for code in range(473010, 473040):
        replica.clear_fault(code)
    resumed = crawl_cli("stories", replica.url, archive_dir, codes="473000-473039")
    assert resumed.exit_status == 0
    assert sorted(r["story_code"] for r in resumed.records()) == list(range(473000, 473040))
    assert_ledger_matches_archive(archive_dir)


def drained(fd: int) -> bool:
    """Read what waits on ``fd``; True (for use in a wait's condition)."""
    with contextlib.suppress(OSError):  # EIO: nothing holds the other side any more
        while select.select([fd], [], [], 0)[0] and os.read(fd, 65536):
            pass
    return True


@pytest.mark.parametrize("nohup", [False, True], ids=["terminal-closed", "nohup"])
def test_a_closed_terminal_stops_the_run_as_sigterm_does(replica, archive_dir, nohup) -> None:
    replica.add_stories(make_story(c) for c in range(473200, 473230))
    for code in range(473205, 473230):
        replica.set_fault(code, "slow", delay=2.0)
    command = cli_command(
        "stories", replica.url, archive_dir, {"CONCURRENT_REQUESTS_PER_DOMAIN": 2},
        {"codes": "473200-473229"},
    )  # fmt: skip
    hangup = signal.SIG_IGN if nohup else signal.SIG_DFL
    terminal, attached = os.openpty()
    run = subprocess.Popen(
        command, cwd=ROOT, stdin=attached, stdout=attached, stderr=attached,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, hangup),
    )  # fmt: skip
    os.close(attached)
    try:
        # Read as a terminal shows it: a full one would hold the run's writes.
        wait_for(lambda: drained(terminal) and replica.story_requests(473206) > 0)
        os.close(terminal)  # the ssh session is gone: writes to it fail from now on
        run.send_signal(signal.SIGHUP)
        returncode = run.wait(timeout=60)
    finally:
        run.kill()
    summary = json.loads(sorted((archive_dir / "runs").glob("*.json"))[-1].read_text())
    if nohup:  # nohup asked for the hangup to be ignored: the run goes on to its end
        assert (returncode, summary["exit_status"], summary["codes_unfinished"]) == (0, 0, 0)
    else:
        assert (returncode, summary["exit_status"]) == (5, 5)
        assert summary["codes_unfinished"] > 0
    assert_ledger_matches_archive(archive_dir)


def test_sigterm_cuts_a_retry_backoff_short(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(473100, 473103))
    replica.set_fault(473101, "status", status=503)
    # A backoff of an hour and a stop timeout of ten minutes: a stop that
    # waited out either would outlive the guard below.
    run = start_cli(
        "stories",
        replica.url,
        archive_dir,
        settings={
            "RETRY_BACKOFF_BASE": 3600,
            "RETRY_BACKOFF_MAX": 3600,
            "ARCHIVE_STOP_TIMEOUT": 600,
        },
        codes="473100-473102",
    )
    try:
        wait_for(lambda: replica.story_requests(473101) > 0)
        run.send_signal(signal.SIGTERM)
        log, _ = run.communicate(timeout=60)
    finally:
        run.kill()
    assert run.returncode == 5, log
    assert "abandoned" not in log
    summary = json.loads(sorted((archive_dir / "runs").glob("*.json"))[-1].read_text())
    assert summary["stats"]["archive/retry/backoff_cut"] == 1
    assert summary["codes_unfinished"] == 1
    assert replica.story_requests(473101) == 1  # the retry was never sent
    assert_ledger_matches_archive(archive_dir)


def test_second_signal_stops_at_once_without_a_torn_line(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(474000, 474020))
    # Slower than the communicate() guard below: only a forced stop ends in time.
    for code in range(474005, 474020):
        replica.set_fault(code, "slow", delay=120.0)
    run = start_cli(
        "stories",
        replica.url,
        archive_dir,
        settings={"ARCHIVE_STOP_TIMEOUT": 60},
        codes="474000-474019",
    )
    wait_for(lambda: replica.story_requests(474010) > 0)
    run.send_signal(signal.SIGTERM)
    first_lines = wait_for_line(run, "shutting down gracefully")
    run.send_signal(signal.SIGTERM)
    log, _ = run.communicate(timeout=60)
    assert run.returncode == 5, first_lines + log
    assert_ledger_matches_archive(archive_dir)


def test_stop_timeout_abandons_hanging_requests(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(475000, 475004))
    for code in range(475000, 475004):
        replica.set_fault(code, "slow", delay=60.0)
    run = start_cli(
        "stories",
        replica.url,
        archive_dir,
        settings={"ARCHIVE_STOP_TIMEOUT": 1, "DOWNLOAD_TIMEOUT": 120},
        codes="475000-475003",
    )
    wait_for(lambda: replica.requests_total() >= 2)
    run.send_signal(signal.SIGTERM)
    log, _ = run.communicate(timeout=30)
    assert run.returncode == 5, log
    assert "abandoned" in log


def test_unexpected_error_exits_1(replica, archive_dir) -> None:
    result = crawl_cli(
        "stories",
        replica.url,
        archive_dir,
        # Loads, but is no pipeline: building it fails (a missing one is a bad setting, exit 2).
        settings={"ITEM_PIPELINES": '{"crawler.items.content_sha256": 1}'},
        codes="1",
    )
    assert result.exit_status == 1


def test_summary_and_human_report(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in (476000, 476001))
    replica.set_not_found(476002, "404")
    replica.set_fault(476003, "status", status=502)
    result = crawl_cli("stories", replica.url, archive_dir, codes="476000-476003")
    assert result.exit_status == 3
    summary = result.summary()
    assert summary["spider"] == "stories"
    assert summary["arguments"] == {"codes": "476000-476003"}
    assert summary["codes_asked"] == 4
    assert summary["counts"]["archived"] == 2
    assert summary["counts"]["not_found"] == 1
    assert summary["counts"]["failed"] == 1
    assert summary["new_records"] == 2
    assert summary["failed"] == [{"code": 476003, "reason": "HTTP 502"}]
    assert summary["started_at"] <= summary["finished_at"]
    assert summary["exit_status"] == 3
    assert "archived 2, not_found 1, failed 1" in result.log


def test_progress_lines_during_a_long_run(replica, archive_dir) -> None:
    slow_site(replica, range(477000, 477010), delay=0.3)
    result = crawl_cli(
        "stories",
        replica.url,
        archive_dir,
        settings={"ARCHIVE_PROGRESS_INTERVAL": 0.2, "CONCURRENT_REQUESTS_PER_DOMAIN": 2},
        codes="477000-477009",
    )
    lines = [line for line in result.log.splitlines() if "progress:" in line]
    assert lines, result.log
    assert "/10 codes" in lines[-1] and "codes/s, ETA" in lines[-1]


def test_archive_status_reports_the_ledger(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in (478000, 478002))
    crawl("stories", replica.url, archive_dir, codes="478000-478002")
    text = scrapy_command("archive-status", "--dir", str(archive_dir))
    assert text.returncode == 0
    assert "3 codes, 478000-478002" in text.stdout
    assert "archived 2, not_found 1" in text.stdout
    machine = json.loads(
        scrapy_command("archive-status", "--dir", str(archive_dir), "--json").stdout
    )
    assert machine["states"]["archived"] == 2
    assert machine["newest_story"]["story_code"] in (478000, 478002)
    assert machine["last_run"]["exit_status"] == 0
    missing = scrapy_command("archive-status", "--dir", str(archive_dir.parent / "nowhere"))
    assert missing.returncode == 2


def test_kill_signal_free_lock_file_is_reused(tmp_path: Path) -> None:
    # The lock file outlives every run; only flock decides who holds it.
    with RunLock(tmp_path):
        pass
    child = subprocess.run(
        [
            "python3",
            "-c",
            f"import fcntl,os; fd=os.open({str(tmp_path / '.lock')!r}, os.O_RDWR);"
            "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)",
        ],
        check=False,
    )
    assert child.returncode == 0
    assert os.path.exists(tmp_path / ".lock")


def test_the_default_archive_directory_relative_to_where_scrapy_runs(replica, tmp_path) -> None:
    """The README's first command: no ARCHIVE_DIR, so ``archive/`` under the
    current directory; twice, so the second run's start-up repair reads it."""
    replica.add_stories([make_story(406025)])
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "PYTHONPATH": str(ROOT)}
    command = [
        *SCRAPY, "crawl", "stories", "-a", "codes=406025", "-s", f"SITE_URL={replica.url}",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
    ]  # fmt: skip
    for _ in range(2):
        result = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "archive" / "ledger.sqlite3").is_file()
    lines = [
        line
        for path in (tmp_path / "archive").glob("stories-*.jsonl")
        for line in path.read_text("utf-8").splitlines()
    ]
    assert [json.loads(line)["story_code"] for line in lines] == [406025]
