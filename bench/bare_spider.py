"""The baseline for ``bench.crawl``: fetch ``{site}/en/news/{code}`` and do nothing else.

No items, no project pipelines or extensions; only the network settings the full crawl
uses. Run by ``bench.crawl`` in its own process::

    .venv/bin/python -m bench.bare_spider --site http://127.0.0.1:PORT --start-code 400000 \\
        --pages 3000 --concurrency 32 --stats-file /tmp/stats.json
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Sequence
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response


class BareSpider(Spider):
    name = "bare"

    def __init__(self, site: str, start_code: int, pages: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.site = site.rstrip("/")
        self.start_code = start_code
        self.pages = pages

    async def start(self) -> AsyncIterator[Request]:
        for code in range(self.start_code, self.start_code + self.pages):
            yield Request(f"{self.site}/en/news/{code}", callback=self.parse, dont_filter=True)

    def parse(self, response: Response, **kwargs: Any) -> None:
        return None


def network_settings(concurrency: int) -> dict[str, Any]:
    """What the full crawl gets from crawler/settings.py plus its ``-s`` overrides,
    as far as the network is concerned."""
    return {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": True,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "WARNING",
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_spider", description=__doc__)
    parser.add_argument("--site", required=True, help="replica URL")
    parser.add_argument("--start-code", type=int, default=400000)
    parser.add_argument("--pages", type=int, default=3000, help="0: an empty crawl")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--stats-file", default=None, help="write final Scrapy stats here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    settings = network_settings(args.concurrency)
    if args.stats_file:
        settings["STATS_CLASS"] = "bench.stats.JsonFileStatsCollector"
        settings["BENCH_STATS_FILE"] = args.stats_file
    process = CrawlerProcess(settings)
    process.crawl(BareSpider, site=args.site, start_code=args.start_code, pages=args.pages)
    process.start()


if __name__ == "__main__":
    main()
