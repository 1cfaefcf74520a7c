"""``scrapy archive-status``: what the ledger knows, for people and machines."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, NoReturn

from crawler.archive.command import ArchiveCommand, NoArchive
from crawler.archive.writer import ARCHIVE_GLOB
from crawler.health import CheckResult, Status, run_check
from crawler.help import CHECK_OPTION_HELP, keep_layout, status_epilog
from crawler.ledger import SQLiteLedger, State
from crawler.runs import FINISHED, RUNNING, as_seen_now, read_runs

# How many failed (and blocked) codes and recent runs the status names.
LISTED_FAILED = 20
RECENT_RUNS = 5


def archive_status(directory: Path) -> dict[str, Any]:
    if not (directory / SQLiteLedger.FILENAME).exists():
        raise NoArchive(
            f"no ledger in {directory}: `scrapy archive-verify --repair --dir {directory}`"
            " builds it from the archive files"
        )
    ledger = SQLiteLedger.in_directory(directory, read_only=True)
    try:
        counts = ledger.counts()
        low, high = ledger.code_range()
        newest = ledger.newest_story()
        last_run = ledger.last_run()
        runs = ledger.recent_runs(RECENT_RUNS)
        failed, blocked = (
            [
                state
                for code in ledger.codes_in_states([kind], limit=LISTED_FAILED)
                if (state := ledger.get(code)) is not None
            ]
            for kind in (State.FAILED, State.BLOCKED)
        )
    finally:
        ledger.close()
    # A run under way, or one that died before it could record itself in
    # the ledger, is only in its run file.
    run_files = read_runs(directory, last=1)
    if run_files and run_files[-1].get("status") != FINISHED:
        last_run = as_seen_now(run_files[-1], directory)
    files = sorted(directory.glob(ARCHIVE_GLOB))
    return {
        "archive_dir": str(directory),
        "codes": sum(counts.values()),
        "states": {state.value: counts.get(state.value, 0) for state in State},
        "code_range": [low, high] if low is not None else None,
        "newest_story": (
            {"story_code": newest.code, "published_at": newest.published_at} if newest else None
        ),
        "archive_files": len(files),
        "archive_bytes": sum(path.stat().st_size for path in files),
        "last_run": last_run,
        "failed": [
            {"code": s.code, "reason": s.detail, "attempts": s.attempts, "since": s.updated_at}
            for s in failed
        ],
        "blocked": [{"code": s.code, "reason": s.detail, "since": s.updated_at} for s in blocked],
        "recent_runs": [run_extraction(run) for run in runs],
    }


def _exit_of(run: dict[str, Any]) -> str:
    """
    >>> _exit_of({"status": "killed", "exit_status": None})
    'killed (it never finished)'
    >>> _exit_of({"exit_status": 0, "exit_meaning": "ok"})
    'exit 0 (ok)'
    """
    if run.get("exit_status") is None:
        return f"{run.get('status', 'unknown')} (it never finished)"
    return f"exit {run['exit_status']} ({run.get('exit_meaning')})"


def run_extraction(summary: dict[str, Any]) -> dict[str, Any]:
    """What one run's summary says about extraction: records per layout, pages
    not understood, and each watched field's coverage.

    >>> run_extraction({"run_id": "r", "exit_status": 8, "layouts": {"iransamaneh": 3},
    ...     "records_extracted": 4, "field_missing": {"lead": 1},
    ...     "counts": {"unrecognized": 2}})["coverage"]
    {'lead': 0.75}
    """
    records = summary.get("records_extracted") or 0
    missing = summary.get("field_missing") or {}
    return {
        "run_id": summary.get("run_id"),
        "exit_status": summary.get("exit_status"),
        "layouts": summary.get("layouts") or {},
        "unrecognized": (summary.get("counts") or {}).get("unrecognized", 0),
        "coverage": {
            name: round(1 - n / records, 3) for name, n in sorted(missing.items()) if records
        },
    }


def format_status(status: dict[str, Any]) -> str:
    """
    >>> print(format_status({"archive_dir": "archive", "codes": 3,
    ...     "states": {"archived": 2, "not_found": 1}, "code_range": [5, 9],
    ...     "newest_story": {"story_code": 9, "published_at": "2024-01-14T09:41:00+03:30"},
    ...     "archive_files": 1, "archive_bytes": 2048, "last_run": None,
    ...     "failed": [{"code": 7, "reason": "HTTP 500", "attempts": 2, "since": "x"}],
    ...     "blocked": [{"code": 8, "reason": "challenge (HTTP 403)", "since": "x"}],
    ...     "recent_runs": [{"run_id": "r1", "exit_status": 8, "unrecognized": 1,
    ...                      "layouts": {"iransamaneh": 2}, "coverage": {"lead": 0.5}}]}))
    Archive archive: 3 codes, 5-9
      archived 2, not_found 1
      newest story 9, published 2024-01-14T09:41:00+03:30
      1 archive file(s), 2.0 KiB
      no run recorded yet
      failed codes (first 1): 7 HTTP 500 (2 attempts)
      blocked codes (first 1): 8 challenge (HTTP 403)
      recent runs, pages read per layout:
        r1 exit 8: iransamaneh 2; unrecognized 1; fields missing: lead 50%
    """
    code_range = "{}-{}".format(*status["code_range"]) if status["code_range"] else "none"
    states = ", ".join(f"{state} {n}" for state, n in status["states"].items() if n) or "empty"
    lines = [
        f"Archive {status['archive_dir']}: {status['codes']} codes, {code_range}",
        f"  {states}",
    ]
    newest = status["newest_story"]
    if newest:
        lines.append(f"  newest story {newest['story_code']}, published {newest['published_at']}")
    lines.append(
        f"  {status['archive_files']} archive file(s), {status['archive_bytes'] / 1024:.1f} KiB"
    )
    run = status["last_run"]
    if run and run.get("status") == RUNNING:
        lines.append(
            f"  run {run['run_id']} ({run.get('spider')}) running since {run.get('started_at')}"
        )
    elif run and run.get("exit_status") is None:
        lines.append(
            f"  last run {run['run_id']} ({run.get('spider')}), started {run.get('started_at')}:"
            f" {_exit_of(run)}"
        )
    elif run:
        lines.append(
            f"  last run {run['run_id']} ({run['spider']}), finished {run['finished_at']}: "
            f"{_exit_of(run)}, "
            f"{run.get('new_records', 0)} new record(s)"
        )
    else:
        lines.append("  no run recorded yet")
    if status["failed"]:
        lines.append(f"  failed codes (first {len(status['failed'])}):")
        lines[-1] += " " + "; ".join(
            f"{f['code']} {f['reason']} ({f['attempts']} attempts)" for f in status["failed"]
        )
    if status.get("blocked"):
        lines.append(f"  blocked codes (first {len(status['blocked'])}): ")
        lines[-1] += "; ".join(f"{b['code']} {b['reason']}" for b in status["blocked"])
    if status["recent_runs"]:
        lines.append("  recent runs, pages read per layout:")
        for run in status["recent_runs"]:
            layouts = ", ".join(f"{name} {n}" for name, n in sorted(run["layouts"].items()))
            parts = [layouts or "no record"]
            if run["unrecognized"]:
                parts.append(f"unrecognized {run['unrecognized']}")
            gaps = [f"{name} {1 - share:.0%}" for name, share in run["coverage"].items()]
            if gaps:
                parts.append("fields missing: " + ", ".join(gaps))
            lines.append(f"    {run['run_id']} exit {run['exit_status']}: {'; '.join(parts)}")
    return "\n".join(lines)


class Command(ArchiveCommand):
    def syntax(self) -> str:
        return "[--dir DIR] [--json]"

    def short_desc(self) -> str:
        return "Show the archive's ledger: counts per state, range, newest story, last run"

    def long_desc(self) -> str:
        return (
            "Read the ledger only (cheap at any size): codes per state, code range, the"
            " newest story by publication time, archive files and bytes, the last run."
            " With --check, one line and a monitoring-plugin exit status instead."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--check", action="store_true", help=CHECK_OPTION_HELP)
        keep_layout(parser, status_epilog())

    def refuse_settings(self, opts: argparse.Namespace, message: str) -> NoReturn:
        if not opts.check:
            super().refuse_settings(opts, message)
        # A monitoring plugin answers UNKNOWN, in its one line, to a setting
        # it cannot use.
        print(CheckResult(Status.UNKNOWN, [message]).line())
        raise SystemExit(int(Status.UNKNOWN))

    def run_archive(self, args: list[str], opts: argparse.Namespace) -> int:
        if opts.check:
            assert self.settings is not None
            return int(run_check(self.settings, opts.dir))
        status = archive_status(self.archive_dir(opts))
        print(
            json.dumps(status, ensure_ascii=False, indent=2) if opts.json else format_status(status)
        )
        return 0
