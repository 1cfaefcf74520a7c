"""A ``scrapy crawl`` child's peak memory, read from the kernel when it ends.

Scrapy's ``memusage/max`` is sampled every 60 s, so a short burst never shows in
it; the kernel's ``ru_maxrss`` for the reaped child is the true peak. One catch:
a child started straight from the test process starts from that process's memory
high-water mark (Linux carries it over fork and exec), and the test process holds
the replica's big fault pages. So the crawl is started by a small Python process
of its own (``python -m tests.measuring CMD...``), which reaps it with
``os.wait4`` and reports its peak and exit status on its last output line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.crawling import ROOT, CrawlResult, cli_command


def crawl_cli_peak(
    spider: str,
    site_url: str,
    archive_dir: Path,
    *,
    settings: dict[str, Any] | None = None,
    timeout: float = 300,
    **args: str,
) -> tuple[CrawlResult, int]:
    """Run ``scrapy crawl`` to its end; its result and its peak RSS in bytes."""
    command = cli_command(spider, site_url, archive_dir, settings, args)
    done = subprocess.run(
        [sys.executable, "-m", "tests.measuring", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    log, _, last = done.stdout.rstrip("\n").rpartition("\n")
    report = json.loads(last)
    return CrawlResult(report["exit_status"], archive_dir, {}, log), report["peak_rss"]


def main(command: list[str]) -> None:
    """Run ``command`` with this process's output, then print its exit status and peak."""
    sys.stdout.flush()
    child = subprocess.Popen(command, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    report = {"exit_status": child.returncode, "peak_rss": usage.ru_maxrss * 1024}
    print("\n" + json.dumps(report), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
