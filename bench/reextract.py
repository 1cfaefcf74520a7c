"""How fast re-extraction runs: ``--pages`` replica story pages (families
mixed, padded to ``--pad-to`` bytes) are written as WARC captures the way the
crawl writes them (``response`` + ``request`` records, gzip level as set, and
a ``metadata`` record per code), into a directory holding only ``warc/``. Then
``Reextraction`` rebuilds the JSON Lines archive and the ledger from them, and
runs a second time over the rebuilt archive (everything unchanged). Both are
timed on the wall clock and on this process's CPU time (one core: the work is
single-threaded), for ``--rounds`` rounds, each on a fresh copy of ``warc/``;
the last lines give pages a second per core, min / median / max over rounds.

Run from the repository root::

    .venv/bin/python -m bench.reextract [--pages 3000] [--pad-to 35000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders

from crawler.extensions.run import new_run_id
from crawler.warc.records import BUILDER, METADATA_TYPE, metadata_fields, record_id
from crawler.warc.reextract import Reextraction, ReextractReport
from crawler.warc.writer import WARC_DIR, WarcFileWriter
from tests.replica import make_story, render_story
from tests.replica.__main__ import family_of

BASE_URL = "http://127.0.0.1:8080"
START_CODE = 400000


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.reextract", description=__doc__)
    parser.add_argument("--pages", type=int, default=3000, help="captured story pages")
    parser.add_argument("--pad-to", type=int, default=35000, help="page size in bytes")
    parser.add_argument("--rounds", type=int, default=3, help="rebuild-then-again rounds")
    return parser.parse_args(argv)


def write_captures(archive_dir: Path, pages: int, pad_to: int) -> None:
    run_id = new_run_id()
    writer = WarcFileWriter(
        archive_dir / WARC_DIR, run_id, max_bytes=1 << 30, fsync_interval=1.0, level=1
    )
    for code in range(START_CODE, START_CODE + pages):
        story = make_story(code, family=family_of(code, "mixed"))
        body = render_story(story, pad_to=pad_to, base_url=BASE_URL)
        url = f"{BASE_URL}/en/news/{code}"
        http = StatusAndHeaders(
            "200 OK",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
            "HTTP/1.1",
        )
        response = BUILDER.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http
        )
        request = BUILDER.create_warc_record(
            url,
            "request",
            warc_headers_dict={"WARC-Concurrent-To": record_id(response)},
            http_headers=StatusAndHeaders(f"/en/news/{code} HTTP/1.1", [], "GET"),
        )
        fields = metadata_fields({"story-code": code, "run-id": run_id, "outcome": "archived"})
        metadata = BUILDER.create_warc_record(
            url,
            "metadata",
            payload=io.BytesIO(fields),
            length=len(fields),
            warc_content_type=METADATA_TYPE,
        )
        metadata.rec_headers.add_header("WARC-Concurrent-To", record_id(response))
        writer.write([response, request])
        writer.write([metadata])
    writer.close()


def timed(archive_dir: Path) -> tuple[ReextractReport, float, float]:
    job = Reextraction(
        archive_dir, new_run_id(), max_size=4 << 20, max_title=1000, fsync_interval=1.0
    )
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        report = job.run()
    finally:
        job.close()
    return report, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-reextract-"))
    try:
        captured = work / "captured"
        write_captures(captured, args.pages, args.pad_to)
        warc = sum(p.stat().st_size for p in (captured / WARC_DIR).iterdir())
        print(f"{args.pages} captures of {args.pad_to} B pages, WARC {warc / 1e6:.1f} MB")
        rates: dict[str, list[float]] = {"rebuild": [], "again": []}
        for number in range(1, args.rounds + 1):
            archive = work / f"round-{number}"
            shutil.copytree(captured / WARC_DIR, archive / WARC_DIR)
            for label, rate in rates.items():
                report, wall, cpu = timed(archive)
                rate.append(report.pages / cpu)
                print(
                    f"  {label:<8} pages {report.pages}, written {report.written}, unchanged"
                    f" {report.unchanged}: wall {wall:.2f}s {report.pages / wall:.0f} pages/s,"
                    f" cpu {cpu:.2f}s {report.pages / cpu:.0f} pages/s per core"
                )
            shutil.rmtree(archive)
        print("pages/s per core (CPU time), min / median / max:")
        for label, rate in rates.items():
            low, middle, high = min(rate), statistics.median(rate), max(rate)
            print(f"  {label:<8} {low:.0f} / {middle:.0f} / {high:.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
