"""``scrapy parse`` refuses the story spiders, in one line, instead of
crashing on a response that is not one of their story requests and
recording an empty run in the archive."""

from __future__ import annotations

import argparse

from scrapy import Request
from scrapy.commands.parse import Command as ScrapyParse
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.spider import spidercls_for_request

from crawler.checks import check_command_line, check_outside_crawl, refuse
from crawler.errors import BadArguments

# What to do instead: a crawl of one code into a scratch archive shows the
# record a page gives, through the same code a real run uses.
INSTEAD = (
    "to see the record a story page gives, run "
    "scrapy crawl stories -a codes=CODE -O story.jsonl -s ARCHIVE_DIR=/tmp/scratch-archive"
)


class Command(ScrapyParse):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        try:
            check_command_line("parse", args, positional=1)
            check_outside_crawl(self.settings, opts.spider, INSTEAD)
            if args and opts.spider is None:
                found = spidercls_for_request(get_spider_loader(self.settings), Request(args[0]))
                if found is None:
                    raise BadArguments(f"no spider of this project parses {args[0]}; {INSTEAD}")
                check_outside_crawl(self.settings, found.name, INSTEAD)
        except (BadArguments, ValueError) as exc:
            refuse("parse", str(exc))
