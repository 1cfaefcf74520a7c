"""``scrapy archive-runs``: the archive's runs, newest last, from ``runs/*.json``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from scrapy.exceptions import UsageError

from crawler.archive.command import ArchiveCommand
from crawler.help import keep_layout, runs_epilog
from crawler.runs import as_seen_now, read_runs

COLUMNS = ("run", "spider", "started", "ended", "status", "exit", "asked", "new", "failed")


def _time(value: str | None) -> str:
    """
    >>> _time("2026-11-28T04:02:32.118337Z"), _time(None)
    ('2026-11-28 04:02:32Z', '-')
    """
    if not value:
        return "-"
    return value.replace("T", " ")[:19] + "Z"


def run_row(run: dict[str, Any]) -> tuple[str, ...]:
    """
    >>> row = run_row({"run_id": "r1", "spider": "latest", "started_at": "2026-11-28T04:02:32Z",
    ...     "finished_at": "2026-11-28T04:03:00Z", "status": "finished", "exit_status": 3,
    ...     "codes_asked": 17, "new_records": 6, "counts": {"failed": 2}})
    >>> row[:4]
    ('r1', 'latest', '2026-11-28 04:02:32Z', '2026-11-28 04:03:00Z')
    >>> row[4:]
    ('finished', '3', '17', '6', '2')
    """
    exit_status = run.get("exit_status")
    return (
        str(run.get("run_id")),
        str(run.get("spider") or "-"),
        _time(run.get("started_at")),
        _time(run.get("finished_at")),
        str(run.get("status")),
        "-" if exit_status is None else str(exit_status),
        str(run.get("codes_asked", "-")),
        str(run.get("new_records", "-")),
        str((run.get("counts") or {}).get("failed", "-")),
    )


def format_runs(runs: list[dict[str, Any]]) -> str:
    """
    >>> print(format_runs([{"run_id": "r1", "spider": "latest", "status": "killed",
    ...                     "started_at": "2026-11-28T04:02:32Z"}]))
    run  spider  started               ended  status  exit  asked  new  failed
    r1   latest  2026-11-28 04:02:32Z  -      killed  -     -      -    -
    >>> format_runs([])
    'no run recorded yet'
    """
    if not runs:
        return "no run recorded yet"
    rows = [COLUMNS, *(run_row(run) for run in runs)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


class Command(ArchiveCommand):
    def syntax(self) -> str:
        return "[--last N] [--json] [--dir DIR]"

    def short_desc(self) -> str:
        return "List the archive's runs: start, end, status, exit status, counts"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--last", metavar="N", type=int, default=20, help="the N most recent runs (0: all)"
        )
        keep_layout(parser, runs_epilog())

    def run_archive(self, args: list[str], opts: argparse.Namespace) -> int:
        if args:
            raise UsageError(f"unexpected argument(s): {' '.join(args)}", print_help=False)
        if opts.last < 0:
            raise UsageError("--last: a number of runs, 0 or more", print_help=False)
        directory = self.archive_dir(opts)
        runs = [as_seen_now(run, directory) for run in read_runs(directory, last=opts.last or None)]
        if opts.json:
            print(json.dumps(runs, ensure_ascii=False, indent=2))
        else:
            print(format_runs(runs))
        return 0
