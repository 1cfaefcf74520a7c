"""``scrapy crawl`` with an exit status that tells the truth.

Scrapy's own command exits 0 for almost every failure; this one exits with the
status the run decided (see ``crawler.errors.ExitCode``), and turns errors that
stop a run before it starts (bad arguments, a held lock) into one line and
their own status instead of a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.errors import ExitCode, RunError
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
        assert self.settings is not None
        prepare_logging(self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider: scrapy crawl <spider>")
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
