"""``scrapy archive-demo [--dir DIR]``: a real run without the internet.

Starts the replica of the site on 127.0.0.1 in this process, archives a few
dozen stories of both page families from it (with a story that is not found
and one that redirects to another among them), then prints the run's
summary and ``archive-status`` and writes the report beside the archive.

Exit status: the run's own (0 when it did what it was asked), 1 if the demo
cannot start (the replica is missing).
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
from pathlib import Path
from typing import Any, ClassVar

from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.archive.command import ArchiveCommand
from crawler.extensions.run import ArchiveRun
from crawler.extensions.summary import human_summary
from crawler.help import command_help, keep_layout
from crawler.ledger import SQLiteLedger

# The replica lives in the source tree's tests today; see the module docstring.
REPLICA_MODULE = "tests.replica"
FIRST_CODE = 406001
STORIES = 36
NOT_FOUND_CODE = FIRST_CODE + STORIES
REDIRECT_CODE = FIRST_CODE + STORIES + 1

# Fast against a local replica; the real site gets the polite defaults.
DEMO_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "RETRY_BACKOFF_BASE": 0.1,
    "DOWNLOAD_TIMEOUT": 10,
}


def start_replica() -> Any:
    """The replica with the demo's stories, started; None if not installed."""
    try:
        replica = importlib.import_module(REPLICA_MODULE)
    except ImportError:
        return None
    site = replica.ReplicaSite()
    for offset in range(STORIES):
        code = FIRST_CODE + offset
        site.add_story(replica.make_story(code, family="AB"[offset % 2]))
    site.set_not_found(NOT_FOUND_CODE, "404")
    site.set_redirect(REDIRECT_CODE, FIRST_CODE + 3)
    return site.start()


class Command(ArchiveCommand):
    default_settings: ClassVar[dict[str, Any]] = {}
    crawls = True

    def syntax(self) -> str:
        return "[--dir DIR]"

    def short_desc(self) -> str:
        return "Archive a few dozen stories from a built-in replica of the site (offline)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        keep_layout(
            parser,
            command_help(
                settings=["ARCHIVE_DIR"],
                exit_statuses={
                    0: "the demo run did what it was asked",
                    1: "the demo could not run (the built-in replica is missing from"
                    " an installed copy)",
                    2: "bad arguments",
                },
            ),
        )

    def long_desc(self) -> str:
        return (
            "Start a replica of the site on 127.0.0.1, archive "
            f"{STORIES + 2} codes from it ({STORIES} stories of both page families, one not "
            "found, one redirect) into DIR (default demo-archive), then print the run's "
            "summary and archive-status and write DIR/report.html. Nothing leaves the "
            "machine."
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        # The demo prints the summary itself: only warnings from the crawl,
        # unless -L or -s LOG_LEVEL asks for more.
        if (self.settings.getpriority("LOG_LEVEL") or 0) < SETTINGS_PRIORITIES["cmdline"]:
            self.settings.set("LOG_LEVEL", "WARNING", priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        directory = Path(opts.dir or "demo-archive")
        site = start_replica()
        if site is None:
            print(
                f"scrapy archive-demo needs the replica site ({REPLICA_MODULE}) from a clone "
                "of the repository: run it there",
                file=sys.stderr,
            )
            self.exitcode = 1
            return
        try:
            print(f"Replica of the site at {site.url}; archiving into {directory}/", flush=True)
            for name, value in {
                **DEMO_SETTINGS,
                "SITE_URL": site.url,
                "ARCHIVE_DIR": str(directory),
            }.items():
                self.settings.set(name, value, priority="cmdline")
            crawler = self.crawler_process.create_crawler("stories")
            self.crawler_process.crawl(crawler, codes=f"{FIRST_CODE}-{REDIRECT_CODE}")
            self.crawler_process.start()
        finally:
            site.stop()
        run = crawler.get_extension(ArchiveRun)
        self.exitcode = int(run.exit_status) if run and run.exit_status is not None else 1
        self._show(directory)

    def _show(self, directory: Path) -> None:
        if not (directory / SQLiteLedger.FILENAME).exists():
            return
        ledger = SQLiteLedger.in_directory(directory, read_only=True)
        try:
            summary = ledger.last_run()
        finally:
            ledger.close()
        if summary:
            print("\n" + human_summary(summary))
        # Every command shown works as printed, pasted where the demo ran.
        where = f"--dir {shlex.quote(str(directory))}"
        status = importlib.import_module("crawler.commands.archive-status")
        print(
            f"\n$ scrapy archive-status {where}\n"
            + status.format_status(status.archive_status(directory))
        )
        try:
            from crawler.report.data import gather
            from crawler.report.html import render
        except ImportError:
            print("\nThe report needs plotly: pip install -e '.[report]'")
        else:
            from crawler.clean.dates import utc_now_iso

            report = directory / "report.html"
            report.write_text(render(gather(directory), utc_now_iso()), encoding="utf-8")
            print(
                f"\n$ scrapy archive-report -o {shlex.quote(str(report))} {where}"
                f"\nreport written to {report}"
            )
        print(f"\nNext: scrapy archive-show {FIRST_CODE + 1} {where}")
