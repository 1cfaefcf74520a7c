"""``scrapy fetch`` that never touches the archive: a story spider is refused."""

from __future__ import annotations

import argparse

from scrapy.commands.fetch import Command as ScrapyFetch

from crawler.checks import check_command_line, check_outside_crawl, refuse
from crawler.errors import BadArguments


class Command(ScrapyFetch):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        try:
            check_command_line("fetch", args, positional=1)
            check_outside_crawl(
                self.settings,
                opts.spider,
                "scrapy fetch URL without --spider uses the project's settings "
                "and touches no archive",
            )
        except BadArguments as exc:
            refuse("fetch", str(exc))
