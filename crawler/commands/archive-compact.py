"""``scrapy archive-compact``: merge the files of finished runs into one file
per month, ``stories-YYYY-MM.jsonl`` (the month each run started in, UTC).

Takes the archive lock (so no run is writing), repairs the archive as a run's
start would, then merges. Safe to kill at any moment: see
``crawler.archive.compact``. Exit status: 0 done (or nothing to do), 1 files
left alone because they disagree with the ledger (run archive-verify), 6
another run holds the lock, 7 the archive could not be written.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from dataclasses import asdict

from crawler.archive.command import ArchiveCommand
from crawler.archive.compact import compact
from crawler.archive.lock import LockHeld, RunLock
from crawler.archive.repair import repair
from crawler.errors import ExitCode
from crawler.help import command_help, keep_layout
from crawler.ledger import SQLiteLedger


class Command(ArchiveCommand):
    def syntax(self) -> str:
        return "[--dir DIR] [--json]"

    def short_desc(self) -> str:
        return "Merge the files of finished runs into one file per month"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        keep_layout(
            parser,
            command_help(
                settings=["ARCHIVE_DIR"],
                exit_statuses={
                    0: "done, or nothing to do",
                    1: "some files disagree with the ledger and were left alone"
                    " (run archive-verify)",
                    2: "no archive in the directory",
                    6: "another run holds the archive lock",
                    7: "a file or the ledger cannot be read or written",
                },
            ),
        )

    def long_desc(self) -> str:
        return (
            "Merge the stories-<run>.jsonl files of finished runs into one "
            "stories-YYYY-MM.jsonl per month (the month each run started in, UTC), and "
            "move the ledger's offsets with them. Takes the archive lock and can be "
            "killed at any moment without losing or doubling a record."
        )

    def run_archive(self, args: list[str], opts: argparse.Namespace) -> int:
        directory = self.archive_dir(opts)
        try:
            with RunLock(directory):
                ledger = SQLiteLedger.in_directory(directory)
                try:
                    repaired = repair(directory, ledger)
                finally:
                    ledger.close()
                # On stderr, so that --json output stays one document.
                print(f"Compacting {directory} (archive lock held)", file=sys.stderr, flush=True)
                report = compact(directory)
        except LockHeld as exc:
            print(f"scrapy archive-compact: {exc}")
            return int(ExitCode.LOCKED)
        except (OSError, sqlite3.Error) as exc:
            print(f"scrapy archive-compact: cannot compact {directory}: {exc}")
            return int(ExitCode.STORAGE)
        if opts.json:
            print(json.dumps({**asdict(report), "repair": repaired.describe()}, indent=2))
        else:
            if not repaired.clean:
                print(f"repaired first: {repaired.describe()}")
            print(report.describe())
        return 1 if report.skipped else 0
