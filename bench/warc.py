"""What WARC capture costs: crawl throughput with capture on and off, disk per
1,000 stories, and the gzip level of each record's member.

``crawl`` (default) starts the replica in its own process (as ``bench.crawl``
does), then runs ``scrapy crawl stories`` over the same ``--pages`` codes,
alternating capture off and on for ``--rounds`` rounds, each into a fresh
archive directory, and prints pages/s on Scrapy's own elapsed time, the
on/off ratio per round and their median, and the bytes the archive files and
the WARC files took per 1,000 stories.

``levels`` serializes ``--pages`` replica pages as warcio response records
compressed at gzip levels 1, 6 and 9 (warcio's own wrapper always uses 9) and
prints the time and the bytes per page.

Run from the repository root::

    .venv/bin/python -m bench.warc [crawl|levels] [--pages 3000] [--pad-to 35000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders

from bench.crawl import START_CODE, CrawlTiming, _env, replica, run_timed
from crawler.warc.records import BUILDER
from crawler.warc.writer import serialize
from tests.replica import make_story, render_story
from tests.replica.__main__ import family_of


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.warc", description=__doc__)
    parser.add_argument("what", nargs="?", choices=("crawl", "levels"), default="crawl")
    parser.add_argument("--pages", type=int, default=3000, help="stories served and crawled")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent requests")
    parser.add_argument("--pad-to", type=int, default=35000, help="page size in bytes")
    parser.add_argument("--rounds", type=int, default=2, help="off-then-on rounds")
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
    work = Path(tempfile.mkdtemp(prefix="bench-warc-"))
    try:
        with replica(args.pages, args.pad_to) as site:
            # The replica renders each page on first request: warm it up uncounted.
            crawl("warm-up", site, args, work / "warm-up", work, warc=False)
            ratios = []
            for number in range(1, args.rounds + 1):
                off = crawl(f"off-{number}", site, args, work / f"off-{number}", work, False)
                on_dir = work / f"on-{number}"
                on = crawl(f"on-{number}", site, args, on_dir, work, True)
                off_rate, on_rate = off.rate(off.elapsed), on.rate(on.elapsed)
                if off_rate and on_rate:
                    ratios.append(on_rate / off_rate)
                    print(
                        f"round {number}: off {off_rate:.1f} pages/s, on {on_rate:.1f} pages/s,"
                        f" on/off {on_rate / off_rate:.3f}"
                    )
                warc = size_of(sorted((on_dir / "warc").glob("*.warc.gz")))
                lines = size_of(sorted(on_dir.glob("stories-*.jsonl")))
                per = 1000 / args.pages
                print(
                    f"  disk per 1,000 stories: WARC {warc * per / 1e6:.1f} MB,"
                    f" JSON Lines {lines * per / 1e6:.1f} MB"
                )
        if ratios:
            print(f"median on/off throughput ratio: {statistics.median(ratios):.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_levels(args: argparse.Namespace) -> None:
    bodies = [
        render_story(
            make_story(code, family=family_of(code, "mixed")),
            pad_to=args.pad_to,
            base_url="http://127.0.0.1:8080",
        )
        for code in range(START_CODE, START_CODE + args.pages)
    ]
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], "HTTP/1.1")
    print(f"{args.pages} pages of {statistics.mean(map(len, bodies)):.0f} B on average")
    for level in (1, 6, 9):
        total = 0
        start = time.perf_counter()
        for number, body in enumerate(bodies):
            record = BUILDER.create_warc_record(
                f"http://127.0.0.1:8080/en/news/{number}",
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
            )
            total += len(serialize(record, level))
        seconds = time.perf_counter() - start
        print(
            f"  level {level}: {seconds * 1000 / len(bodies):.3f} ms a record,"
            f" {total / len(bodies):.0f} B a record"
        )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.what == "levels":
        bench_levels(args)
    else:
        bench_crawl(args)


if __name__ == "__main__":
    main()
