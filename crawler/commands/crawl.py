"""``scrapy crawl`` with an exit status that tells the truth.

Scrapy's own command exits 0 for almost every failure; this one exits with the
status the run decided (see ``crawler.errors.ExitCode``), and turns errors that
stop a run before it starts (bad arguments or settings, an unknown option or
spider, a held lock) into one line and their own status instead of a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.utils.project import get_project_settings
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.checks import (
    check_command_line,
    check_feed_files,
    check_settings,
    check_spider_arguments,
    refuse,
    spider_class,
)
from crawler.errors import BadArguments, ExitCode, RunError
from crawler.extensions.run import ArchiveRun
from crawler.help import crawl_description, crawl_epilog, keep_layout
from crawler.logs import prepare_logging


class Command(ScrapyCrawl):
    # Help that lists arguments, settings, exit statuses; quiet logs
    def long_desc(self) -> str:
        return crawl_description()

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        keep_layout(parser, crawl_epilog())

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        # Everything here runs before Scrapy builds its crawler process, so a
        # refusal is one line, with no start-up log before it, and nothing
        # is requested or written.
        try:
            # Scrapy parses the command line leniently: a mistyped option would
            # otherwise reach run() as a second spider name, or be ignored.
            check_command_line("crawl", args, positional=1)
            if not args:
                raise BadArguments("give the spider to run: scrapy crawl <spider>")
            assert self.settings is not None
            spidercls = spider_class(self.settings, args[0])
            check_spider_arguments(args[0], getattr(spidercls, "arguments", None), opts.spargs)
            # The settings the crawler will get (Crawler does the same), checked
            # before any component reads them: a bad value would otherwise stop
            # start-up half-way, with exit status 1 and no message.
            settings = self.settings.copy()
            spidercls.update_settings(settings)
            # What the project itself defines (its settings module, Scrapy's
            # defaults, the spider's own settings), without the command line.
            project = get_project_settings()
            spidercls.update_settings(project)
            check_settings(settings, project)
            check_feed_files(settings.getdict("FEEDS"))
        except BadArguments as exc:
            refuse("crawl", str(exc))
        assert self.settings is not None
        prepare_logging(self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process
        crawler = self.crawler_process.create_crawler(args[0])
        startup_errors: list[BaseException] = []
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        _on_failure(started, startup_errors.append)
        self.crawler_process.start()

        run_errors = [e for e in startup_errors if isinstance(e, RunError)]
        if run_errors:
            print(f"scrapy crawl: {run_errors[0]}", file=sys.stderr)
            self.exitcode = int(run_errors[0].exit_code)
            return
        if startup_errors or self.crawler_process.bootstrap_failed:
            if startup_errors:  # a bug: never an exit without a word
                error = startup_errors[0]
                print(f"scrapy crawl: unexpected error at start-up: {error!r}", file=sys.stderr)
            self.exitcode = int(ExitCode.ERROR)
            return
        try:
            run = crawler.get_extension(ArchiveRun)
        except RuntimeError:  # the crawl never got as far as its extensions
            run = None
        if run is None:
            self.exitcode = int(ExitCode.ERROR)
            return
        # Decided by the run at spider_closed (finalize() then only returns it);
        # a second SIGTERM stops the reactor before that, and the run is
        # finalized here instead.
        self.exitcode = int(run.finalize("shutdown"))


def _on_failure(started: Any, remember: Any) -> None:
    """``crawl()`` returns a Deferred or an asyncio task, by Scrapy's mode."""
    if isinstance(started, Deferred):

        def errback(failure: Failure) -> None:
            remember(failure.value)

        started.addErrback(errback)
    elif isinstance(started, asyncio.Future):

        def done(task: asyncio.Future[Any]) -> None:
            if not task.cancelled() and task.exception() is not None:
                remember(task.exception())

        started.add_done_callback(done)
