"""What WARC capture costs: crawl CPU and throughput with capture on and off,
disk per 1,000 stories, and the gzip level of each record's member.

``crawl`` (default) starts the replica in its own process (as ``bench.crawl``
does, pinned to CPU 1 and the crawler to CPU 0 when there are two), then runs
``scrapy crawl stories`` over the same ``--pages`` codes, alternating capture
off and on for ``--rounds`` rounds, each into a fresh archive directory. It
prints, per round and as min / median / max over rounds, the CPU time a page
took with capture off and on (the crawl process's user + system time, less
an empty crawl's), what capture costs a page (on - off) and as a share of
the capture-on crawl's CPU, the on/off ratio of pages/s on Scrapy's own
elapsed time, and the bytes the archive files and the WARC files took per
1,000 stories.

``capture`` times the capture alone, in this process, over ``--pages``
replica pages: each response goes through ``WarcCapture.process_response``
and its code through ``WarcCapture.outcome``, as in a crawl, and then (second
line) the same with the ledger recording each code after its capture, as the
run does; the third line is the ledger alone. CPU time a page, min / median /
max over ``--rounds``.

``interleaved`` runs the whole extraction chain of ``bench.extract`` over
``--pages`` pages of the known layouts, alone and then with each page
captured just before it is read, as in a crawl, and prints the CPU time a
page of each part (min / median / max over ``--rounds``): what capture
costs the extraction that follows it, which ``capture`` alone cannot show.

``levels`` has warcio serialize ``--pages`` replica pages as response
records, then compresses each as one gzip member at ``ARCHIVE_WARC_GZIP_LEVEL``
1, 2, 3 (ISA-L's deflate), 6 and 9 (zlib's; warcio's own wrapper always
uses 9), and with zlib's level 1 (the default before ISA-L), and prints the
CPU time the compression took (min / median / max over ``--rounds``) and the
bytes, per record.

Run from the repository root::

    .venv/bin/python -m bench.warc [crawl|capture|interleaved|levels] [--pages 3000]
                                   [--pad-to 35000]
                                   [--rounds 4]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from warcio.statusandheaders import StatusAndHeaders

import bench.crawl
from bench.crawl import (
    REPLICA_CPU,
    START_CODE,
    CrawlTiming,
    _env,
    _fmt,
    bare_crawl,
    cpu_per_page,
    replica,
    run_timed,
    spread,
)
from bench.extract import HEADERS, Chain, Page, generate_pages
from crawler import settings as defaults
from crawler.ledger import ArchivedLine, SQLiteLedger
from crawler.warc.capture import WarcCapture
from crawler.warc.records import BUILDER
from crawler.warc.writer import GZIP_WBITS, RecordSerializer, gzip_member
from tests.replica import make_story, render_story
from tests.replica.__main__ import family_of

BASE_URL = "http://127.0.0.1:8080"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.warc", description=__doc__)
    parser.add_argument(
        "what", nargs="?", choices=("crawl", "capture", "interleaved", "levels"), default="crawl"
    )
    parser.add_argument("--pages", type=int, default=3000, help="stories served and crawled")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent requests")
    parser.add_argument("--pad-to", type=int, default=35000, help="page size in bytes")
    parser.add_argument("--rounds", type=int, default=4, help="off-then-on rounds")
    parser.add_argument(
        "--pin", action=argparse.BooleanOptionalAction, default=True,
        help="bind the crawler to CPU 0 and the replica to CPU 1 (default: on, with 2+ CPUs)",
    )  # fmt: skip
    return parser.parse_args(argv)


def crawl(
    label: str, site: str, args: argparse.Namespace, archive: Path, work: Path, warc: bool
) -> CrawlTiming:
    stats = work / f"stats-{label}.json"
    settings = {
        "SITE_URL": site,
        "ARCHIVE_DIR": str(archive),
        "ARCHIVE_WARC": str(warc),
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS": str(args.concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(args.concurrency),
        "LOG_LEVEL": "WARNING",
        "STATS_CLASS": "bench.stats.JsonFileStatsCollector",
        "BENCH_STATS_FILE": str(stats),
    }
    codes = f"{START_CODE}-{START_CODE + args.pages - 1}"
    command = [sys.executable, "-m", "scrapy.cmdline", "crawl", "stories", "-a", f"codes={codes}"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    return run_timed(label, command, _env("crawler.settings"), args.pages, stats)


def size_of(paths: Sequence[Path]) -> int:
    return sum(path.stat().st_size for path in paths)


def bench_crawl(args: argparse.Namespace) -> None:
    bench.crawl.PIN = args.pin and len(os.sched_getaffinity(0)) >= 2
    work = Path(tempfile.mkdtemp(prefix="bench-warc-"))
    try:
        with replica(args.pages, args.pad_to, REPLICA_CPU if bench.crawl.PIN else None) as site:
            startup = bare_crawl("startup", site, 0, args.concurrency, work)
            # The replica renders each page on first request: warm it up uncounted.
            crawl("warm-up", site, args, work / "warm-up", work, warc=False)
            ratios, off_cpu, on_cpu, costs, shares = [], [], [], [], []
            for number in range(1, args.rounds + 1):
                off = crawl(f"off-{number}", site, args, work / f"off-{number}", work, False)
                on_dir = work / f"on-{number}"
                on = crawl(f"on-{number}", site, args, on_dir, work, True)
                off_cpu.append(cpu_per_page(off, startup))
                on_cpu.append(cpu_per_page(on, startup))
                costs.append(on_cpu[-1] - off_cpu[-1])
                shares.append(costs[-1] / on_cpu[-1])
                off_rate, on_rate = off.rate(off.elapsed), on.rate(on.elapsed)
                if off_rate and on_rate:
                    ratios.append(on_rate / off_rate)
                print(
                    f"round {number}: CPU a page off {off_cpu[-1]:.3f} ms, on {on_cpu[-1]:.3f} ms,"
                    f" capture {costs[-1]:.3f} ms ({shares[-1]:.1%} of on);"
                    f" pages/s off {_fmt(off_rate, '.1f')}, on {_fmt(on_rate, '.1f')}"
                )
                warc = size_of(sorted((on_dir / "warc").glob("*.warc.gz")))
                lines = size_of(sorted(on_dir.glob("stories-*.jsonl")))
                per = 1000 / args.pages
                print(
                    f"  disk per 1,000 stories: WARC {warc * per / 1e6:.1f} MB,"
                    f" JSON Lines {lines * per / 1e6:.1f} MB"
                )
        print(f"pinned: {'crawler CPU 0, replica CPU 1' if bench.crawl.PIN else 'no'}")
        print("over rounds (min / median / max):")
        print(f"  CPU a page, capture off: {spread(off_cpu, '.3f')} ms")
        print(f"  CPU a page, capture on:  {spread(on_cpu, '.3f')} ms")
        print(f"  capture's CPU a page (on - off): {spread(costs, '.3f')} ms")
        percents = [100 * share for share in shares]
        print(f"  capture's share of the on crawl's CPU: {spread(percents, '.1f')} %")
        if ratios:
            print(f"  on/off pages/s on Scrapy's elapsed time: {spread(ratios, '.3f')}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def story_pages(args: argparse.Namespace) -> list[bytes]:
    return [
        render_story(
            make_story(code, family=family_of(code, "mixed")),
            pad_to=args.pad_to,
            base_url=BASE_URL,
        )
        for code in range(START_CODE, START_CODE + args.pages)
    ]


def captured(args: argparse.Namespace, bodies: list[bytes], capture: bool, ledger: bool) -> float:
    """CPU milliseconds a page of capturing ``bodies`` and/or recording their codes."""
    project = {name: getattr(defaults, name) for name in dir(defaults) if name.isupper()}
    with tempfile.TemporaryDirectory(prefix="bench-warc-") as work:
        directory = Path(work)
        crawler = get_crawler(settings_dict={**project, "ARCHIVE_DIR": work, "LOG_LEVEL": "ERROR"})
        # The capture keeps its index in the ledger's file, so it always has one;
        # only the ledger's own writes are left out when ``ledger`` is off.
        store = SQLiteLedger.in_directory(directory)
        # As in a crawl: writes (the index's rows with them) held in one
        # transaction, committed once per fsync tick.
        store.hold_commits(defaults.ARCHIVE_FSYNC_INTERVAL)
        warc = (
            WarcCapture(
                crawler, directory, "bench", store, max_bytes=1 << 30, fsync_interval=1.0, level=1
            )
            if capture
            else None
        )
        answers = []
        for number, body in enumerate(bodies):
            code = START_CODE + number
            url = f"{BASE_URL}/en/news/{code}"
            request = Request(url, meta={"code": code}, headers={"Accept": "text/html"})
            headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": len(body)}
            answers.append((code, request, HtmlResponse(url, body=body, headers=headers)))
        start = time.process_time()
        for code, request, response in answers:
            if warc is not None:
                warc.process_response(request, response)
                warc.outcome(code, "archived")
            if ledger:
                line = ArchivedLine(code, f"{code:064d}", "stories.jsonl", code, code + 1, None, 1)
                store.record_archived(line)
        seconds = time.process_time() - start
        if warc is not None:
            warc.spider_closed()
        store.close()
    return seconds * 1000 / len(bodies)


def bench_capture(args: argparse.Namespace) -> None:
    bodies = story_pages(args)
    print(f"{len(bodies)} pages of {statistics.mean(map(len, bodies)):.0f} B on average")
    for label, capture, ledger in (
        ("capture", True, False),
        ("capture + ledger", True, True),
        ("ledger alone", False, True),
    ):
        times = [captured(args, bodies, capture, ledger) for _ in range(args.rounds)]
        print(f"  {label:<16}: {spread(times, '.3f')} ms a page")


def interleaved_round(pages: list[Page], capture: bool) -> tuple[float, float]:
    """CPU milliseconds a page of capture and of the extraction chain, with
    each page captured (or not) right before it is read."""
    project = {name: getattr(defaults, name) for name in dir(defaults) if name.isupper()}
    chain = Chain()
    with tempfile.TemporaryDirectory(prefix="bench-warc-") as work:
        directory = Path(work)
        crawler = get_crawler(settings_dict={**project, "ARCHIVE_DIR": work, "LOG_LEVEL": "ERROR"})
        store = SQLiteLedger.in_directory(directory)
        # As in a crawl: writes (the index's rows with them) held in one
        # transaction, committed once per fsync tick.
        store.hold_commits(defaults.ARCHIVE_FSYNC_INTERVAL)
        warc = WarcCapture(
            crawler, directory, "bench", store, max_bytes=1 << 30, fsync_interval=1.0, level=1
        )
        answers = [
            (
                page,
                Request(page.url, meta={"code": page.code}),
                HtmlResponse(page.url, body=page.body, headers=HEADERS),
            )
            for page in pages
        ]
        captured = extracted = 0.0
        for page, request, response in answers:
            start = time.process_time()
            if capture:
                warc.process_response(request, response)
                warc.outcome(page.code, "archived")
            middle = time.process_time()
            chain.whole(page, response)
            captured += middle - start
            extracted += time.process_time() - middle
        warc.spider_closed()
        store.close()
    return captured * 1000 / len(pages), extracted * 1000 / len(pages)


def bench_interleaved(args: argparse.Namespace) -> None:
    pages = generate_pages(args.pages, args.pad_to)
    print(f"{len(pages)} pages of the known layouts, {args.pad_to} B each")
    alone, after, capture = [], [], []
    for _ in range(args.rounds):
        alone.append(interleaved_round(pages, capture=False)[1])
        spent = interleaved_round(pages, capture=True)
        capture.append(spent[0])
        after.append(spent[1])
    print(f"  extraction alone           : {spread(alone, '.3f')} ms a page")
    print(f"  capture, before extraction : {spread(capture, '.3f')} ms a page")
    print(f"  extraction after a capture : {spread(after, '.3f')} ms a page")
    extra = statistics.median(after) - statistics.median(alone)
    print(f"  capture's cost to extraction: {extra:.3f} ms a page (medians subtracted)")


def bench_levels(args: argparse.Namespace) -> None:
    bodies = story_pages(args)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], "HTTP/1.1")
    print(f"{args.pages} pages of {statistics.mean(map(len, bodies)):.0f} B on average")

    def zlib_member(data: bytes, level: int) -> bytes:
        return zlib.compress(data, level, wbits=GZIP_WBITS)

    # ARCHIVE_WARC_GZIP_LEVEL's values (1-3: ISA-L, others: zlib), and zlib's
    # own level 1 (the default before ISA-L) for comparison.
    ways = [(f"level {level}", level, gzip_member) for level in (1, 2, 3, 6, 9)]
    ways.append(("zlib level 1", 1, zlib_member))
    for label, level, compress in ways:
        serialize = RecordSerializer(level)
        plain = [
            serialize.plain(
                BUILDER.create_warc_record(
                    f"{BASE_URL}/en/news/{number}",
                    "response",
                    payload=io.BytesIO(body),
                    length=len(body),
                    http_headers=http,
                )
            )
            for number, body in enumerate(bodies)
        ]
        times = []
        for _ in range(args.rounds):
            start = time.process_time()
            total = sum(len(compress(record, level)) for record in plain)
            times.append((time.process_time() - start) * 1000 / len(bodies))
        print(f"  {label:<12}: {spread(times, '.3f')} ms a record, {total / len(bodies):.0f} B")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.what == "levels":
        bench_levels(args)
    elif args.what == "capture":
        bench_capture(args)
    elif args.what == "interleaved":
        bench_interleaved(args)
    else:
        bench_crawl(args)


if __name__ == "__main__":
    main()
