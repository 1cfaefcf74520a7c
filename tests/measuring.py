"""A ``scrapy crawl`` child's peak memory, read from the kernel when it ends.

Scrapy's ``memusage/max`` is sampled every 60 s, so a short burst never shows in it;
the kernel's ``ru_maxrss`` for the reaped child is the true peak.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.crawling import CrawlResult, start_cli


def crawl_cli_peak(
    spider: str,
    site_url: str,
    archive_dir: Path,
    *,
    settings: dict[str, Any] | None = None,
    **args: str,
) -> tuple[CrawlResult, int]:
    """Run ``scrapy crawl`` to its end; its result and its peak RSS in bytes."""
    process = start_cli(spider, site_url, archive_dir, settings=settings, **args)
    assert process.stdout is not None
    log = process.stdout.read()  # to EOF: the child has closed its output
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    process.stdout.close()
    return CrawlResult(process.returncode, archive_dir, {}, log), usage.ru_maxrss * 1024
