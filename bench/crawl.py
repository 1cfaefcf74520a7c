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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START_CODE = 400000
PIN = False  # set by main(): bind the crawler and the replica to one CPU each
REPLICA_START_TIMEOUT = 120.0
CRAWL_TIMEOUT = 1800.0


@dataclass(frozen=True)
class CrawlTiming:
    label: str
    pages: int
    wall: float
    elapsed: float | None  # Scrapy's elapsed_time_seconds
    responses: int | None
    cpu: float = 0.0  # user + system seconds of the crawl process

    def rate(self, seconds: float | None) -> float | None:
        return self.pages / seconds if seconds and self.pages else None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.crawl", description=__doc__)
    parser.add_argument("--pages", type=int, default=3000, help="stories served and crawled")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent requests")
    parser.add_argument("--pad-to", type=int, default=35000, help="page size in bytes")
    parser.add_argument("--rounds", type=int, default=3, help="bare-then-full rounds")
    parser.add_argument(
        "--pin", action=argparse.BooleanOptionalAction, default=True,
        help="bind the crawler to CPU 0 and the replica to CPU 1 (default: on, with 2+ CPUs)",
    )  # fmt: skip
    parser.add_argument(
        "-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
        help="a setting for the full crawl (e.g. -s ARCHIVE_WARC=False); repeatable",
    )  # fmt: skip
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


CRAWLER_CPU, REPLICA_CPU = 0, 1


def pinned(cpu: int | None) -> Any:
    """A preexec_fn binding the child to one CPU, or None."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


@contextmanager
def replica(pages: int, pad_to: int, cpu: int | None = None) -> Iterator[str]:
    """The replica site in its own process; yields its URL and stops it afterwards."""
    command = [
        sys.executable, "-m", "tests.replica", "--stories", str(pages),
        "--start-code", str(START_CODE), "--family", "mixed", "--pad-to", str(pad_to),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, text=True, preexec_fn=pinned(cpu)
    )
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
    """Run one crawl process to completion; wall time from spawn to exit, and
    the CPU time of that process alone (its rusage, reaped with wait4)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
            preexec_fn=pinned(CRAWLER_CPU if PIN else None),
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        output.seek(0)
        log = output.read()
    if process.returncode != 0:
        print(f"[{label}] exit status {process.returncode}\n{log[-4000:]}")
    elif log.strip():
        print(f"[{label}] log output:\n{log.strip()[-2000:]}")
    found = json.loads(stats.read_text("utf-8")) if stats.exists() else {}
    return CrawlTiming(
        label, pages, wall, found.get("elapsed_time_seconds"),
        found.get("response_received_count"), usage.ru_utime + usage.ru_stime,
    )  # fmt: skip


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
    label: str,
    site: str,
    pages: int,
    concurrency: int,
    archive: Path,
    work: Path,
    extra: Sequence[str] = (),
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
    for setting in extra:
        command += ["-s", setting]
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
        f" | responses {_fmt(timing.responses, 'd')} | cpu {timing.cpu:6.2f}s"
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


def cpu_per_page(timing: CrawlTiming, startup: CrawlTiming) -> float:
    """Milliseconds of CPU a page, less what starting and stopping costs."""
    return 1000 * (timing.cpu - startup.cpu) / timing.pages


def spread(values: list[float], spec: str = ".2f") -> str:
    return " / ".join(
        format(v, spec) for v in (min(values), statistics.median(values), max(values))
    )


def main(argv: Sequence[str] | None = None) -> None:
    global PIN
    args = parse_args(argv)
    PIN = args.pin and len(os.sched_getaffinity(0)) >= 2
    work = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    try:
        start = time.perf_counter()
        with replica(args.pages, args.pad_to, REPLICA_CPU if PIN else None) as site:
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
                    f"full-{number}", site, args.pages, args.concurrency, archive, work,
                    args.settings,
                )  # fmt: skip
                timings += [bare, full]
                rounds.append((bare, full, archive))
        print("wall = process spawn to exit; scrapy elapsed = spider open to close")
        for timing in timings:
            print_timing(timing)
        ratios, cpu_ratios, full_cpu, bare_cpu = [], [], [], []
        for bare, full, archive in rounds:
            print(f"round {bare.label.split('-')[1]}:", end=" ")
            print_ratio(bare, full, startup)
            full_rate, bare_rate = full.rate(full.elapsed), bare.rate(bare.elapsed)
            if full_rate and bare_rate:
                ratios.append(full_rate / bare_rate)
            full_cpu.append(cpu_per_page(full, startup))
            bare_cpu.append(cpu_per_page(bare, startup))
            cpu_ratios.append(bare_cpu[-1] / full_cpu[-1])
            print(f"  archive records: {archived_records(archive)} (expected {args.pages})")
        print(f"pinned: {'crawler CPU 0, replica CPU 1' if PIN else 'no'}")
        print("over rounds (min / median / max):")
        if ratios:
            print(f"  full/bare throughput ratio on scrapy elapsed: {spread(ratios)}")
        if cpu_ratios:
            print(f"  CPU per page, full:  {spread(full_cpu, '.3f')} ms")
            print(f"  CPU per page, bare:  {spread(bare_cpu, '.3f')} ms")
            print(f"  CPU ratio (bare/full, throughput per CPU): {spread(cpu_ratios)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
