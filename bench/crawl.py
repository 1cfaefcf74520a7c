"""Crawl throughput against the replica site: the real ``stories`` spider vs a bare fetch.

Starts the replica (``python -m tests.replica``) in its own process, so the server does
not share the crawler's GIL, serving ``--pages`` stories (families mixed, each padded to
``--pad-to`` bytes). Then, each in a fresh process and over the same codes:

  startup  an empty bare crawl (0 codes): interpreter + Scrapy start and stop
  warm-up  a bare crawl, not counted: the replica renders each page on first request
  bare     ``bench.bare_spider``: fetch every page, do nothing with it
  full     ``scrapy crawl stories`` with the project settings, archiving to a temp dir

For each crawl it prints the wall time of the process and Scrapy's own
``elapsed_time_seconds`` (spider open to close, no interpreter start), pages/s on both,
and the full/bare ratio. Both crawls use the same network settings.

Run from the repository root::

    .venv/bin/python -m bench.crawl [--pages 3000] [--concurrency 32] [--pad-to 35000]
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_CODE = 400000
REPLICA_START_TIMEOUT = 120.0
CRAWL_TIMEOUT = 1800.0


@dataclass(frozen=True)
class CrawlTiming:
    label: str
    pages: int
    wall: float
    elapsed: float | None  # Scrapy's elapsed_time_seconds
    responses: int | None

    def rate(self, seconds: float | None) -> float | None:
        return self.pages / seconds if seconds and self.pages else None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.crawl", description=__doc__)
    parser.add_argument("--pages", type=int, default=3000, help="stories served and crawled")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent requests")
    parser.add_argument("--pad-to", type=int, default=35000, help="page size in bytes")
    parser.add_argument("--rounds", type=int, default=3, help="bare-then-full rounds")
    return parser.parse_args(argv)


# --- the replica ----------------------------------------------------------------------


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The process's first stdout line, or RuntimeError if none comes in time."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        raise RuntimeError(f"the replica printed nothing within {timeout:.0f}s")
    return process.stdout.readline()


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def replica(pages: int, pad_to: int) -> Iterator[str]:
    """The replica site in its own process; yields its URL and stops it afterwards."""
    command = [
        sys.executable, "-m", "tests.replica", "--stories", str(pages),
        "--start-code", str(START_CODE), "--family", "mixed", "--pad-to", str(pad_to),
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = _read_line(process, REPLICA_START_TIMEOUT)
        if not line.startswith("REPLICA "):
            raise RuntimeError(f"unexpected replica output: {line!r}")
        yield line.split()[1]
    finally:
        _stop(process)
        if process.stdout is not None:
            process.stdout.close()


# --- crawls ---------------------------------------------------------------------------


def run_timed(
    label: str, command: list[str], env: dict[str, str], pages: int, stats: Path
) -> CrawlTiming:
    """Run one crawl process to completion; wall time from spawn to exit."""
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CRAWL_TIMEOUT,
        check=False,
    )  # fmt: skip
    wall = time.perf_counter() - start
    if done.returncode != 0:
        print(f"[{label}] exit status {done.returncode}\n{done.stdout}{done.stderr}")
    elif done.stderr.strip():
        print(f"[{label}] log output:\n{done.stderr.strip()[-2000:]}")
    found = json.loads(stats.read_text("utf-8")) if stats.exists() else {}
    return CrawlTiming(
        label, pages, wall, found.get("elapsed_time_seconds"), found.get("response_received_count")
    )


def _env(settings_module: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    if settings_module:
        env["SCRAPY_SETTINGS_MODULE"] = settings_module
    return env


def bare_crawl(label: str, site: str, pages: int, concurrency: int, work: Path) -> CrawlTiming:
    stats = work / f"stats-{label}.json"
    command = [
        sys.executable, "-m", "bench.bare_spider", "--site", site, "--start-code",
        str(START_CODE), "--pages", str(pages), "--concurrency", str(concurrency),
        "--stats-file", str(stats),
    ]  # fmt: skip
    return run_timed(label, command, _env(None), pages, stats)


def full_crawl(
    label: str, site: str, pages: int, concurrency: int, archive: Path, work: Path
) -> CrawlTiming:
    stats = work / f"stats-{label}.json"
    settings = {
        "SITE_URL": site,
        "ARCHIVE_DIR": str(archive),
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS": str(concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
        "LOG_LEVEL": "WARNING",
        "STATS_CLASS": "bench.stats.JsonFileStatsCollector",
        "BENCH_STATS_FILE": str(stats),
    }
    codes = f"{START_CODE}-{START_CODE + pages - 1}"
    command = [sys.executable, "-m", "scrapy.cmdline", "crawl", "stories", "-a", f"codes={codes}"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    return run_timed(label, command, _env("crawler.settings"), pages, stats)


def archived_records(archive: Path) -> int:
    """Complete lines in the archive's story files."""
    return sum(path.read_bytes().count(b"\n") for path in sorted(archive.glob("stories-*.jsonl")))


# --- report ---------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_timing(timing: CrawlTiming) -> None:
    print(
        f"  {timing.label:<8} wall {timing.wall:7.2f}s {_fmt(timing.rate(timing.wall), '7.1f')}"
        f" pages/s | scrapy elapsed {_fmt(timing.elapsed, '7.2f')}s"
        f" {_fmt(timing.rate(timing.elapsed), '7.1f')} pages/s"
        f" | responses {_fmt(timing.responses, 'd')}"
    )


def print_ratio(bare: CrawlTiming, full: CrawlTiming, startup: CrawlTiming) -> None:
    def ratio(a: float | None, b: float | None) -> str:
        return _fmt(a / b if a and b else None, ".2f")

    net_bare, net_full = bare.wall - startup.wall, full.wall - startup.wall
    print("full/bare throughput ratio:")
    print(
        f"  on scrapy elapsed:          {ratio(full.rate(full.elapsed), bare.rate(bare.elapsed))}"
    )
    print(f"  on wall - empty-crawl wall: {ratio(full.rate(net_full), bare.rate(net_bare))}")
    print(f"  on raw wall:                {ratio(full.rate(full.wall), bare.rate(bare.wall))}")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    try:
        start = time.perf_counter()
        with replica(args.pages, args.pad_to) as site:
            up = time.perf_counter() - start
            print(f"replica {site}: {args.pages} stories, pad-to {args.pad_to} B, up in {up:.1f}s")
            print(f"concurrency {args.concurrency}, {args.rounds} round(s) of bare then full")
            startup = bare_crawl("startup", site, 0, args.concurrency, work)
            timings = [startup, bare_crawl("warm-up", site, args.pages, args.concurrency, work)]
            rounds = []
            for number in range(1, args.rounds + 1):
                bare = bare_crawl(f"bare-{number}", site, args.pages, args.concurrency, work)
                archive = work / f"archive-{number}"
                full = full_crawl(
                    f"full-{number}", site, args.pages, args.concurrency, archive, work
                )
                timings += [bare, full]
                rounds.append((bare, full, archive))
        print("wall = process spawn to exit; scrapy elapsed = spider open to close")
        for timing in timings:
            print_timing(timing)
        ratios = []
        for bare, full, archive in rounds:
            print(f"round {bare.label.split('-')[1]}:", end=" ")
            print_ratio(bare, full, startup)
            if bare.elapsed and full.elapsed:
                ratios.append(full.rate(full.elapsed) / bare.rate(bare.elapsed))
            print(f"  archive records: {archived_records(archive)} (expected {args.pages})")
        if ratios:
            print(f"median full/bare ratio on scrapy elapsed: {statistics.median(ratios):.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
