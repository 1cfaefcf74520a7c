"""``scrapy shell`` that never touches the archive: a story spider is refused."""

from __future__ import annotations

import argparse

from scrapy.commands.shell import Command as ScrapyShell

from crawler.checks import check_command_line, check_outside_crawl, refuse
from crawler.errors import BadArguments


class Command(ScrapyShell):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        try:
            check_command_line("shell", args, positional=1)
            check_outside_crawl(
                self.settings,
                opts.spider,
                "scrapy shell URL without --spider uses the project's settings "
                "and touches no archive",
            )
        except BadArguments as exc:
            refuse("shell", str(exc))
