"""``scrapy archive-reextract [--dir D] [--codes ...]``: today's page objects
over the WARC captures, with no network request; a changed story gets a new
revision, a page not understood before and understood now is archived, and a
directory holding only ``warc/`` gets its archive and ledger back.

Exit status: 0 done, 2 bad arguments, 6 another run holds the lock.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from scrapy.exceptions import UsageError

from crawler.archive.command import ArchiveCommand, NoArchive
from crawler.archive.lock import LockHeld, RunLock
from crawler.codes import CodeSpecError, parse_codes
from crawler.errors import ExitCode
from crawler.extensions.run import new_run_id
from crawler.help import command_help, keep_layout
from crawler.pages.layouts import load_layouts
from crawler.warc.reader import warc_files
from crawler.warc.reextract import Reextraction


class Command(ArchiveCommand):
    def short_desc(self) -> str:
        return "Extract the stories again from the WARC captures (no network)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        keep_layout(
            parser,
            command_help(
                settings=[
                    "ARCHIVE_DIR",
                    "SITE_LANGUAGE",
                    "STORY_LAYOUTS",
                    "ARCHIVE_MAX_TITLE_LENGTH",
                ],
                exit_statuses={
                    0: "done (the counts say what was written)",
                    8: "some pages were read only by the generic layer: the layouts do not know"
                    " the template (an archived story is never revised from such a reading)",
                    2: "bad arguments, or no WARC capture in the directory",
                    6: "another run holds the archive lock",
                    7: "the ledger is damaged or a file cannot be read",
                },
            ),
        )
        parser.add_argument(
            "--codes", metavar="SPEC", help="only these codes (e.g. 406025,406030-406040)"
        )

    def archive_dir(self, opts: argparse.Namespace) -> Path:
        # Unlike the other archive commands, a directory holding only warc/
        # is welcome: it is rebuilt.
        assert self.settings is not None
        directory = Path(opts.dir or self.settings.get("ARCHIVE_DIR"))
        if not warc_files(directory):
            raise NoArchive(f"no WARC captures in {directory / 'warc'}")
        return directory

    def writer(self, opts: argparse.Namespace) -> str | None:
        return "re-extraction"

    def run_archive(self, args: list[str], opts: argparse.Namespace) -> int:
        assert self.settings is not None
        try:
            codes = parse_codes(opts.codes) if opts.codes else None
        except CodeSpecError as exc:
            raise UsageError(f"--codes: {exc}") from None
        directory = self.archive_dir(opts)
        try:
            with RunLock(directory):
                job = Reextraction(
                    directory,
                    new_run_id(),
                    max_size=self.settings.getint("DOWNLOAD_MAXSIZE"),
                    max_title=self.settings.getint("ARCHIVE_MAX_TITLE_LENGTH"),
                    fsync_interval=self.settings.getfloat("ARCHIVE_FSYNC_INTERVAL"),
                    language=self.settings.get("SITE_LANGUAGE", "en"),
                    layouts=load_layouts(self.settings.getlist("STORY_LAYOUTS")),
                )
                try:
                    report = job.run(codes)
                finally:
                    job.close()
        except LockHeld as exc:
            print(f"scrapy archive-reextract: {exc}")
            return int(ExitCode.LOCKED)
        if opts.json:
            print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            print("\n".join(report.lines()))
        # As for a crawl: pages only the generic layer could read mean the
        # layouts do not know the site's template (see "When the site changes").
        if report.generic or report.not_revised:
            return int(ExitCode.LAYOUT_CHANGED)
        return 0
