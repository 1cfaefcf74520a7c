"""Logs made for cron: few lines, the summary last, one line per network
error, an unreachable site stopped early with exit 4, and LOG_FILE handling."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadConnectionRefusedError
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.middlewares.reachability import ReachabilityWatch
from crawler.runs import read_runs
from tests.crawling import crawl_cli, start_cli
from tests.replica import make_story

# A LATEST_PROBE_MISSES of 2 keeps the runs short; the line count does not depend on it.
LATEST = {"LATEST_PROBE_MISSES": 2}


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def log_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.strip()]


def test_a_no_op_latest_run_writes_at_most_15_lines_summary_last(replica, archive_dir) -> None:
    replica.add_stories(make_story(code) for code in range(406000, 406006))
    first = crawl_cli("latest", replica.url, archive_dir, settings=LATEST)
    assert first.exit_status == 0, first.log
    replica.reset_counts()
    noop = crawl_cli("latest", replica.url, archive_dir, settings=LATEST)
    assert noop.exit_status == 0, noop.log
    lines = log_lines(noop.log)
    assert len(lines) <= 15, noop.log
    assert "started" in lines[0]
    # The summary is the last thing in the log: no stats dump, no "Spider closed".
    summary_start = next(i for i, line in enumerate(lines) if ": exit 0, " in line)
    assert all(line.startswith("  ") for line in lines[summary_start + 1 :]), noop.log
    assert "new records 0" in lines[-1]
    # The stats went to the run file instead.
    run = read_runs(archive_dir)[-1]
    assert run["status"] == "finished"
    assert run["stats"]["downloader/request_count"] == replica.requests_total()


def test_scrapy_chatter_is_still_there_at_debug(replica, archive_dir) -> None:
    replica.add_story(make_story(406000))
    result = crawl_cli(
        "stories", replica.url, archive_dir, settings={"LOG_LEVEL": "DEBUG"}, codes="406000"
    )
    assert result.exit_status == 0
    assert "DEBUG: Enabled extensions" in result.log
    assert "DEBUG: Spider opened" in result.log


def test_failed_codes_one_line_each_up_to_the_cap(replica, archive_dir) -> None:
    replica.add_story(make_story(407006))  # the site answers: the failures are the codes'
    for code in range(407000, 407006):
        replica.set_fault(code, "status", status=500)
    result = crawl_cli(
        "stories",
        replica.url,
        archive_dir,
        settings={"RETRY_TIMES": 0, "ARCHIVE_LOG_FAILED_MAX": 2},
        codes="407000-407006",
    )
    assert result.exit_status == 3, result.log
    failure_lines = [line for line in result.log.splitlines() if "WARNING: Story" in line]
    assert len(failure_lines) == 2, result.log
    assert "... and 4 more failed or blocked code(s)" in result.log
    assert "Gave up retrying" not in result.log


def test_blocked_codes_are_named_like_failed_ones(replica, archive_dir) -> None:
    # They make the exit status 3 as failures do: the log and the run file say which.
    replica.add_stories(make_story(code) for code in range(407100, 407104))
    replica.set_blocked(407101, "challenge", status=403)
    replica.set_blocked(407102, "maintenance")
    replica.set_fault(407103, "status", status=500)
    result = crawl_cli(
        "stories", replica.url, archive_dir, settings={"RETRY_TIMES": 0}, codes="407100-407103"
    )
    assert result.exit_status == 3, result.log
    lines = [
        line.split("WARNING: ")[1] for line in result.log.splitlines() if "WARNING: Story" in line
    ]
    assert sorted(lines) == [
        "Story 407101 blocked: challenge (HTTP 403)",
        "Story 407102 blocked: maintenance",
        "Story 407103 failed: HTTP 500",
    ]
    summary = json.loads(next((archive_dir / "runs").glob("*.json")).read_text())
    assert sorted(summary["blocked"], key=lambda entry: entry["code"]) == [
        {"code": 407101, "reason": "challenge (HTTP 403)"},
        {"code": 407102, "reason": "maintenance"},
    ]
    assert summary["failed"] == [{"code": 407103, "reason": "HTTP 500"}]


def test_network_errors_are_one_line_without_traceback(archive_dir) -> None:
    result = crawl_cli(
        "stories",
        closed_port_url(),
        archive_dir,
        settings={"RETRY_TIMES": 1},
        codes="1-3",
    )
    assert result.exit_status == 4, result.log
    assert "Traceback" not in result.log
    errors = [line for line in result.log.splitlines() if "ERROR:" in line]
    assert errors, result.log
    assert all("Connection was refused" in line for line in errors), result.log


def test_closed_port_stops_as_site_unreachable_with_exit_4(archive_dir) -> None:
    # With retries this slow, only the watch can end the run early.
    slow_retries = {"RETRY_TIMES": 20, "RETRY_BACKOFF_BASE": 0.5, "RETRY_BACKOFF_MAX": 1.0}
    result = crawl_cli(
        "latest",
        closed_port_url(),
        archive_dir,
        settings={**slow_retries, "ARCHIVE_UNREACHABLE_AFTER": "2s"},
    )
    assert result.exit_status == 4, result.log
    run = read_runs(archive_dir)[-1]
    assert run["finish_reason"] == "site_unreachable"
    assert "The site cannot be reached: no answer in 2s" in result.log
    assert "Traceback" not in result.log


def test_an_unreachable_site_ends_the_run_without_waiting_out_a_backoff(archive_dir) -> None:
    # A backoff of an hour: a run that waited one out would outlive the test.
    hour_backoffs = {"RETRY_TIMES": 5, "RETRY_BACKOFF_BASE": 3600, "RETRY_BACKOFF_MAX": 3600}
    process = start_cli(
        "stories",
        closed_port_url(),
        archive_dir,
        settings={**hour_backoffs, "ARCHIVE_UNREACHABLE_AFTER": "1s"},
        codes="1-3",
    )
    try:
        assert process.stdout is not None
        log = []
        for line in process.stdout:
            log.append(line)
            if "The site cannot be reached" in line:
                break
        assert "The site cannot be reached: no answer in 1s" in log[-1], "".join(log)
        # A guard against the hang, not a measure: the backoff lasts an hour.
        status = process.wait(timeout=60)
    finally:
        process.kill()
        process.communicate()
    assert status == 4
    run = read_runs(archive_dir)[-1]
    assert run["finish_reason"] == "site_unreachable"
    # robots.txt's retry was waiting out its backoff when the spider closed:
    # the wait was cut short, and the retry never sent.
    assert run["stats"]["archive/retry/backoff_cut"] == 1
    assert run["stats"]["archive/unreachable/connection_failures"] == 1


def test_name_that_does_not_resolve_stops_as_site_unreachable(archive_dir) -> None:
    # .invalid never resolves (RFC 6761): the failure is local.
    slow_retries = {"RETRY_TIMES": 20, "RETRY_BACKOFF_BASE": 0.5, "RETRY_BACKOFF_MAX": 1.0}
    result = crawl_cli(
        "stories",
        "http://archive-test.invalid",
        archive_dir,
        settings={**slow_retries, "ARCHIVE_UNREACHABLE_AFTER": "2s"},
        codes="1-5",
    )
    assert result.exit_status == 4, result.log
    run = read_runs(archive_dir)[-1]
    assert run["finish_reason"] == "site_unreachable"
    assert "DNS lookup failed" in result.log
    assert "Traceback" not in result.log


def test_a_site_that_answered_once_is_not_unreachable() -> None:
    crawler = get_crawler(settings_dict={"ARCHIVE_UNREACHABLE_AFTER": "1s"})
    watch = ReachabilityWatch.from_crawler(crawler)
    request = Request("http://127.0.0.1:1/robots.txt")
    watch.process_response(request, Response(request.url, status=503))
    watch.process_exception(request, DownloadConnectionRefusedError("refused"))
    watch.deadline_passed()
    assert not watch.gave_up
    assert watch.failures == 0


def test_missing_log_directory_is_created(replica, archive_dir, tmp_path) -> None:
    replica.add_story(make_story(406000))
    log_file = tmp_path / "logs" / "deeper" / "run.log"
    result = crawl_cli(
        "stories", replica.url, archive_dir, settings={"LOG_FILE": log_file}, codes="406000"
    )
    assert result.exit_status == 0, result.log
    assert "Run " in log_file.read_text("utf-8")
    assert result.log == ""


@pytest.fixture
def not_a_directory(tmp_path: Path) -> Path:
    """A file where a directory should be: nothing can be written under it,
    whoever runs the test (permissions do not stop root)."""
    path = tmp_path / "not-a-directory"
    path.write_text("a file, not a directory\n")
    return path


def assert_refused_before_the_run(result, replica, archive_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Exit 2 with one line, before any request or any file of the archive."""
    assert result.exit_status == 2
    assert result.log.strip().count("\n") == 0, result.log
    assert replica.requests_total() == 0
    assert not archive_dir.exists()


def test_unwritable_log_file_is_refused_in_one_line_with_exit_2(
    replica, archive_dir, not_a_directory: Path
) -> None:
    result = crawl_cli(
        "stories",
        replica.url,
        archive_dir,
        settings={"LOG_FILE": not_a_directory / "run.log"},
        codes="406000",
    )
    assert_refused_before_the_run(result, replica, archive_dir)
    assert "LOG_FILE" in result.log and "not-a-directory" in result.log


def test_run_file_is_valid_json_at_every_step(replica, archive_dir) -> None:
    replica.add_story(make_story(406000))
    crawl_cli("stories", replica.url, archive_dir, codes="406000")
    (path,) = (archive_dir / "runs").glob("*.json")
    assert json.loads(path.read_text("utf-8"))["status"] == "finished"
    assert not list((archive_dir / "runs").glob("*.partial"))


def test_an_export_that_cannot_be_written_stops_the_run_before_it_starts(
    replica, archive_dir, not_a_directory: Path
) -> None:
    # Scrapy opens a feed's file only when it closes the feed, after the crawl.
    result = crawl_cli(
        "stories",
        replica.url,
        archive_dir,
        extra=["-O", str(not_a_directory / "x.jsonl")],
        codes="406000",
    )
    assert_refused_before_the_run(result, replica, archive_dir)
    assert (
        result.log.strip()
        == f"scrapy crawl: cannot write the export {not_a_directory}/x.jsonl (-o/-O)"
    )
