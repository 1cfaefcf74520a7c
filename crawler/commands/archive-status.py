"""``scrapy archive-status``: what the ledger knows, for people and machines."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from crawler.archive.command import ArchiveCommand, NoArchive
from crawler.archive.writer import ARCHIVE_GLOB
from crawler.health import run_check
from crawler.help import CHECK_OPTION_HELP, keep_layout, status_epilog
from crawler.ledger import SQLiteLedger, State


def archive_status(directory: Path) -> dict[str, Any]:
    if not (directory / SQLiteLedger.FILENAME).exists():
        raise NoArchive(
            f"no ledger in {directory}: `scrapy archive-verify --repair --dir {directory}`"
            " builds it from the archive files"
        )
    ledger = SQLiteLedger.in_directory(directory)
    try:
        counts = ledger.counts()
        low, high = ledger.code_range()
        newest = ledger.newest_story()
        last_run = ledger.last_run()
    finally:
        ledger.close()
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
    }


def format_status(status: dict[str, Any]) -> str:
    """
    >>> print(format_status({"archive_dir": "archive", "codes": 3,
    ...     "states": {"archived": 2, "not_found": 1}, "code_range": [5, 9],
    ...     "newest_story": {"story_code": 9, "published_at": "2024-01-14T09:41:00+03:30"},
    ...     "archive_files": 1, "archive_bytes": 2048, "last_run": None}))
    Archive archive: 3 codes, 5-9
      archived 2, not_found 1
      newest story 9, published 2024-01-14T09:41:00+03:30
      1 archive file(s), 2.0 KiB
      no run recorded yet
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
    if run:
        lines.append(
            f"  last run {run['run_id']} ({run['spider']}), finished {run['finished_at']}: "
            f"exit {run['exit_status']} ({run['exit_meaning']}), "
            f"{run['new_records']} new record(s)"
        )
    else:
        lines.append("  no run recorded yet")
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

    def command_name(self) -> str:
        return "archive-status"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--check", action="store_true", help=CHECK_OPTION_HELP)
        keep_layout(parser, status_epilog())

    def run_archive(self, args: list[str], opts: argparse.Namespace) -> int:
        if opts.check:
            assert self.settings is not None
            return int(run_check(self.settings, opts.dir))
        status = archive_status(self.archive_dir(opts))
        print(
            json.dumps(status, ensure_ascii=False, indent=2) if opts.json else format_status(status)
        )
        return 0
