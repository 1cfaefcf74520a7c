"""Memory and responsiveness of a run in the size of its range.

For each range size it runs ``scrapy crawl stories -a codes=1-N`` against a
replica site in its own process (every code answers 404 at once, so the run
is all planning and bookkeeping), lets it answer ``--requests`` story requests,
then sends SIGTERM. It prints, per size and over ``--rounds`` rounds
(min/median/max):

  first    seconds from the process start to the first story request at the replica
  stop     seconds from SIGTERM to the process's exit
  rss      the crawl process's peak RSS (``ru_maxrss`` of that child alone), MB

The goal: peak RSS at 10,000,000 codes at most 1.2x that at 10,000, the first
request within 2 s and SIGTERM honoured within ARCHIVE_STOP_TIMEOUT at any size.

Run from the repository root::

    .venv/bin/python -m bench.plan [--sizes 10000,100000,1000000,10000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.replica import ReplicaSite

ROOT = Path(__file__).resolve().parent.parent
POLL = 0.005


def one_run(site: ReplicaSite, size: int, requests: int) -> tuple[float, float, float]:
    site.reset_counts()
    with tempfile.TemporaryDirectory() as directory:
        command = [
            sys.executable, "-m", "scrapy.cmdline", "crawl", "stories",
            "-a", f"codes=1-{size}",
            "-s", f"SITE_URL={site.url}", "-s", f"ARCHIVE_DIR={directory}/archive",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
            "-s", "LOG_LEVEL=WARNING", "-s", "ARCHIVE_STOP_TIMEOUT=10",
        ]  # fmt: skip
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
        while site.story_requests(1) == 0 and process.poll() is None:
            time.sleep(POLL)
        first = time.monotonic() - started
        while site.requests_total() < requests and process.poll() is None:
            time.sleep(POLL)
        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0  # reaped by wait4 above
        stop = time.monotonic() - stopping
    return first, stop, usage.ru_maxrss / 1024


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.plan", description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000,10000000")
    parser.add_argument("--requests", type=int, default=2000, help="story requests per run")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args(argv)
    sizes = [int(size) for size in options.sizes.split(",")]
    print(f"{'codes':>10}  {'first request s':>20}  {'stop s':>20}  {'peak RSS MB':>24}")
    print(f"{'':>10}  {'(min / median / max)':>20}  {'':>20}")
    with ReplicaSite() as site:
        baseline = None
        for size in sizes:
            runs = [one_run(site, size, options.requests) for _ in range(options.rounds)]
            firsts, stops, rss = (list(column) for column in zip(*runs, strict=True))
            baseline = baseline or statistics.median(rss)
            ratio = statistics.median(rss) / baseline
            print(
                f"{size:>10}  {spread(firsts):>20}  {spread(stops):>20}  "
                f"{spread(rss):>18} x{ratio:.2f}"
            )


if __name__ == "__main__":
    main()
