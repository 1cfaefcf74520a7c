"""``scrapy runspider`` refuses a story spider: it would archive with none of
``scrapy crawl``'s checks and exit 0 whatever the run decided."""

from __future__ import annotations

import argparse
import sys
from importlib import import_module
from pathlib import Path

from scrapy import Spider
from scrapy.commands.runspider import Command as ScrapyRunSpider
from scrapy.utils.spider import iter_spider_classes

from crawler.checks import refuse


class Command(ScrapyRunSpider):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        # Before Scrapy builds its crawler process: one line, no start-up log.
        spidercls = _spider_in_file(args[0]) if len(args) == 1 else None
        if spidercls is not None and getattr(spidercls, "archives_stories", False):
            refuse(
                "runspider",
                f"spider {spidercls.name} writes the archive; run it with "
                f"scrapy crawl {spidercls.name}, which checks its arguments and settings "
                "and exits with the run's status",
            )


def _spider_in_file(filename: str) -> type[Spider] | None:
    """The spider Scrapy's runspider would run, imported the way it imports it
    (so its own import finds the module already loaded); None when Scrapy
    would refuse the file anyway, with its own message."""
    path = Path(filename).resolve()
    if path.suffix not in {".py", ".pyw"} or not path.is_file():
        return None
    sys.path.insert(0, str(path.parent))
    try:
        module = import_module(path.stem)
    except ImportError:
        return None
    finally:
        sys.path.pop(0)
    classes = list(iter_spider_classes(module))
    return classes[-1] if classes else None
