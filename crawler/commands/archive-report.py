"""``scrapy archive-report -o report.html``: one self-contained HTML file of
charts (plotly, inlined): coverage of the code space, stories per day and
source, field coverage per layout over recent runs, run history.

Needs the optional ``[report]`` extra (plotly). Exit status: 0 written, 1 the
file could not be written or plotly is missing, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scrapy.exceptions import UsageError

from crawler.archive.command import ArchiveCommand
from crawler.clean.dates import utc_now_iso
from crawler.help import command_help, keep_layout

INSTALL_HINT = "pip install 'story-archive[report]' (from a clone: pip install -e '.[report]')"


class Command(ArchiveCommand):
    def syntax(self) -> str:
        return "-o FILE [--days N] [--dir DIR]"

    def short_desc(self) -> str:
        return "Write a self-contained HTML report of the archive, with charts"

    def long_desc(self) -> str:
        return (
            "Write one HTML file (plotly charts, plotly.js inlined: it opens offline) "
            "showing the coverage of the code space per state, stories per day and per "
            "source, field coverage per page layout over recent runs, and the run history "
            f"with exit statuses. Needs plotly: {INSTALL_HINT}."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        keep_layout(
            parser,
            command_help(
                settings=["ARCHIVE_DIR"],
                exit_statuses={
                    0: "written",
                    1: "not written (plotly missing: pip install -e '.[report]';"
                    " or the file could not be written)",
                    2: "bad arguments, or no archive in the directory",
                },
            ),
        )
        parser.add_argument("-o", "--output", metavar="FILE", help="the HTML file to write")
        parser.add_argument(
            "--days",
            type=int,
            default=365,
            metavar="N",
            help="stories per day: the last N days up to the newest story (default 365)",
        )

    def run_archive(self, args: list[str], opts: argparse.Namespace) -> int:
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        if not opts.output:
            raise UsageError("give the file to write: -o report.html")
        if opts.days < 1:
            raise UsageError("--days must be at least 1")
        directory = self.archive_dir(opts)
        try:
            from crawler.report.html import render
        except ImportError:
            print(f"scrapy archive-report needs plotly: {INSTALL_HINT}", file=sys.stderr)
            return 1
        from crawler.report.data import gather

        page = render(gather(directory, days=opts.days), utc_now_iso())
        target = Path(opts.output)
        partial = target.with_name(f".{target.name}.partial")
        try:
            partial.write_text(page, encoding="utf-8")
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            print(f"scrapy archive-report: cannot write {target}: {exc}", file=sys.stderr)
            return 1
        print(f"report written to {target} ({len(page.encode()) // 1024} KiB)")
        return 0
