"""A periodic progress line for long runs: codes done/total, rate, ETA."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def progress_line(done: int, total: int, elapsed: float, fetched: int | None = None) -> str:
    """``done`` includes codes skipped as already settled; the rate and the
    ETA count only the codes ``fetched`` (settled by requests), since skips
    cost nothing and would make the rate a lie.

    >>> progress_line(250, 1000, 10.0)
    'progress: 250/1000 codes (25.0%), 25.0 codes/s, ETA 0:00:30'
    >>> progress_line(600, 1000, 10.0, fetched=100)
    'progress: 600/1000 codes (60.0%), 10.0 codes/s, ETA 0:00:40'
    >>> progress_line(0, 0, 5.0)
    'progress: 0/0 codes (100.0%), 0.0 codes/s, ETA 0:00:00'
    """
    fetched = done if fetched is None else fetched
    rate = fetched / elapsed if elapsed > 0 else 0.0
    share = 100.0 * done / total if total else 100.0
    remaining = max(0, total - done)
    eta = timedelta(seconds=round(remaining / rate)) if rate > 0 else "unknown"
    if not remaining:
        eta = timedelta(0)
    return f"progress: {done}/{total} codes ({share:.1f}%), {rate:.1f} codes/s, ETA {eta}"


def codes_done(stats: dict[str, Any]) -> int:
    """Codes settled by this run plus those skipped as already settled.

    >>> codes_done({"archive/codes/done": 3, "archive/codes/skipped/archived": 2})
    5
    """
    skipped = sum(v for k, v in stats.items() if k.startswith("archive/codes/skipped/"))
    return stats.get("archive/codes/done", 0) + skipped


def codes_total(stats: dict[str, Any]) -> int:
    """The run's work: what it planned, or the whole range it was given.

    >>> codes_total({"archive/codes/asked": 10, "archive/codes/expected": 1000})
    1000
    """
    return max(stats.get("archive/codes/asked", 0), stats.get("archive/codes/expected", 0))


class Progress:
    def __init__(self, stats: StatsCollector, interval: float):
        self.stats = stats
        self.interval = interval
        self.started = time.monotonic()
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("ARCHIVE_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured("ARCHIVE_PROGRESS_INTERVAL is 0")
        extension = cls(crawler.stats, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self.started = time.monotonic()
        self._loop = task.LoopingCall(self.log)
        self._loop.start(self.interval, now=False)

    def log(self) -> None:
        stats = self.stats.get_stats()
        if not codes_total(stats):
            return  # nothing planned yet: "0/0 codes" would say nothing
        logger.info(
            progress_line(
                codes_done(stats),
                codes_total(stats),
                time.monotonic() - self.started,
                fetched=stats.get("archive/codes/done", 0),
            )
        )

    def spider_closed(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
