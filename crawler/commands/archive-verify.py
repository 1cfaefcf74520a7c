"""``scrapy archive-verify [--repair]``: check an archive directory end to end."""

from __future__ import annotations

import argparse
import json

from crawler.archive.command import ArchiveCommand
from crawler.archive.compact import finish_interrupted, interrupted
from crawler.archive.lock import RunLock, cannot_write
from crawler.archive.verify import repair_archive, verify_directory
from crawler.help import keep_layout, verify_epilog


class Command(ArchiveCommand):
    def syntax(self) -> str:
        return "[--dir DIR] [--repair] [--json]"

    def short_desc(self) -> str:
        return "Check every archive line against the ledger; --repair fixes what it can"

    def long_desc(self) -> str:
        return (
            "Read every line of every archive file: each must be a complete record whose"
            " content_sha256 matches its own fields, revisions must chain, no story twice,"
            " no content under two codes. Check the ledger with SQLite's integrity_check"
            " and compare it with the files.\n\n"
            "--repair moves bad and repeated lines to torn/ (nothing is deleted; each file is"
            " replaced only by a durable repaired copy), moves a damaged ledger aside and"
            " rebuilds it from the files, and forgets codes whose lines are gone so the next"
            " run fetches them."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        keep_layout(parser, verify_epilog())
        parser.add_argument(
            "--repair", action="store_true", help="fix what can be fixed from the archive itself"
        )

    def writer(self, opts: argparse.Namespace) -> str | None:
        return "--repair" if opts.repair else None

    def run_archive(self, args: list[str], opts: argparse.Namespace) -> int:
        directory = self.archive_dir(opts)
        lock = RunLock(directory)
        try:
            lock.acquire()
        except OSError as exc:
            if opts.repair or not cannot_write(exc):
                raise
            # Checking writes nothing: a backup mounted read-only, or another
            # user's archive, is checked all the same.
            lock = RunLock(directory, read_only=True)
            lock.acquire()
        try:
            if lock.read_only:
                pending = interrupted(directory)
            else:
                # A compaction a kill interrupted is completed before looking.
                finish_interrupted(directory)
                pending = []
            repaired = repair_archive(directory) if opts.repair else []
            report = verify_directory(directory)
        finally:
            lock.release()
        for target in pending:
            report.add(
                "compaction_interrupted",
                target,
                "a compaction into it was interrupted; archive-verify completes it where the"
                " archive can be written",
            )
        report.repaired = repaired
        if opts.json:
            print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            for action in repaired:
                print(f"repaired: {action}")
            for problem in report.problems:
                print(problem)
            if report.awaiting_capture:
                print(
                    f"{report.awaiting_capture} archived stor"
                    f"{'y' if report.awaiting_capture == 1 else 'ies'} await a WARC capture"
                    " (lost, or never made and queued by --repair): the next crawl that covers"
                    " them fetches them"
                )
            if report.never_captured:
                print(
                    f"{report.never_captured} archived stor"
                    f"{'y was' if report.never_captured == 1 else 'ies were'} never captured in"
                    " WARC (archived while ARCHIVE_WARC was off, or before 0.2.0): nothing was"
                    " lost; --repair queues them for a fetch that captures them"
                )
            verdict = "clean" if report.ok else f"{len(report.problems)} problem(s)"
            print(
                f"{report.files} file(s), {report.lines} line(s), {report.codes} stories: {verdict}"
            )
        return 0 if report.ok else 1
