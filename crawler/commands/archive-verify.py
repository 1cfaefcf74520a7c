"""``scrapy archive-verify [--repair]``: check an archive directory end to end.

Exit status: 0 clean (after repair, if asked), 1 problems remain, 6 another
run holds the lock.
"""

from __future__ import annotations

import argparse
import json

from crawler.archive.command import ArchiveCommand
from crawler.archive.compact import finish_interrupted
from crawler.archive.lock import LockHeld, RunLock
from crawler.archive.verify import repair_archive, verify
from crawler.errors import ExitCode
from crawler.ledger import SQLiteLedger


class Command(ArchiveCommand):
    def short_desc(self) -> str:
        return "Check every archive line against the ledger; --repair fixes what it can"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--repair", action="store_true", help="fix what can be fixed from the archive itself"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        directory = self.archive_dir(opts)
        try:
            with RunLock(directory):
                # A compaction a kill interrupted is completed before looking.
                finish_interrupted(directory)
                ledger = SQLiteLedger.in_directory(directory)
                try:
                    repaired = repair_archive(directory, ledger) if opts.repair else []
                    report = verify(directory, ledger)
                finally:
                    ledger.close()
        except LockHeld as exc:
            print(f"scrapy archive-verify: {exc}")
            self.exitcode = int(ExitCode.LOCKED)
            return
        report.repaired = repaired
        if opts.json:
            print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            for action in repaired:
                print(f"repaired: {action}")
            for problem in report.problems:
                print(problem)
            verdict = "clean" if report.ok else f"{len(report.problems)} problem(s)"
            print(
                f"{report.files} file(s), {report.lines} line(s), {report.codes} stories: {verdict}"
            )
        self.exitcode = 0 if report.ok else 1
