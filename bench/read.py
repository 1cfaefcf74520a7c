"""Reading a large archive through the ledger: ``archive-show``, a selective
``archive-export``, the revision index's first build, and a compaction, on an
archive of N generated records (one file per run of 10,000 records).

Run from the repository root: ``.venv/bin/python -m bench.read [--records 1000000]``
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from crawler.archive.compact import compact
from crawler.archive.read import ArchiveReader
from crawler.ledger import SQLiteLedger

PER_FILE = 10_000
FIRST_CODE = 100_000
SCRAPY = [sys.executable, "-m", "scrapy.cmdline"]


def generate(directory: Path, records: int) -> None:
    """Files and ledger rows as runs leave them, bulk-loaded."""
    SQLiteLedger.in_directory(directory).close()
    db = sqlite3.connect(directory / SQLiteLedger.FILENAME, isolation_level=None)
    day0 = datetime(2019, 1, 1, 9, 0)
    db.execute("BEGIN")
    for start in range(0, records, PER_FILE):
        name = f"stories-202611{1 + start // PER_FILE % 28:02d}T0{start:011d}.000000Z-abcdef.jsonl"
        rows, lines, offset = [], [], 0
        for code in range(FIRST_CODE + start, FIRST_CODE + min(records, start + PER_FILE)):
            published = (day0 + timedelta(hours=code - FIRST_CODE)).isoformat() + "+03:30"
            record = {
                "story_code": code,
                "url": f"https://example.org/en/news/{code}/x",
                "title": f"Story {code}",
                "body": "Text " * 40,
                "published_at": published,
                "source": f"Source {code % 17}",
                "content_sha256": f"{code:064x}",
                "revision": 1,
                "previous_sha256": None,
            }
            line = (json.dumps(record) + "\n").encode()
            rows.append(
                (
                    code,
                    "archived",
                    "2026-11-28T00:00:00Z",
                    record["content_sha256"],
                    name,
                    offset,
                    published,
                    1,
                )
            )
            lines.append(line)
            offset += len(line)
        (directory / name).write_bytes(b"".join(lines))
        db.executemany(
            "INSERT INTO codes (code, state, updated_at, sha256, archive_file, archive_offset,"
            " published_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.execute("INSERT INTO archive_files VALUES (?, ?)", (name, offset))
    db.execute("COMMIT")
    db.close()


def timed(*args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([*SCRAPY, *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    records = parser.parse_args().records
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        generate(directory, records)
        size = sum(p.stat().st_size for p in directory.glob("stories-*.jsonl"))
        print(f"records {records}, files {records // PER_FILE}, {size / 2**20:.0f} MiB")
        code = str(FIRST_CODE + random.randrange(records))
        startup = timed("archive-status", "--dir", tmp)
        print(f"scrapy archive-status (for scale: start-up and one count): {startup:.2f} s")
        print(f"scrapy archive-show {code}: {timed('archive-show', code, '--dir', tmp):.2f} s")
        out = str(directory / "out.jsonl")
        low = FIRST_CODE + records // 2
        export = timed("archive-export", "--codes", f"{low}-{low + 999}", "--dir", tmp, "-o", out)
        print(f"scrapy archive-export --codes (1,000 records): {export:.2f} s")
        export = timed(
            "archive-export",
            "--since",
            "2020-01-01",
            "--until",
            "2020-01-31",
            "--dir",
            tmp,
            "-o",
            out,
        )
        print(f"scrapy archive-export --since/--until (one month): {export:.2f} s")
        start = time.perf_counter()
        with ArchiveReader(directory) as reader:
            indexed = reader.catch_up()
        print(
            f"revision index, first build: {indexed} lines in {time.perf_counter() - start:.1f} s"
        )
        report = timed("archive-report", "--dir", tmp, "-o", str(directory / "report.html"))
        print(f"scrapy archive-report (index built): {report:.2f} s")
        show_all = timed("archive-show", code, "--all-revisions", "--dir", tmp)
        print(f"scrapy archive-show --all-revisions (index built): {show_all:.2f} s")
        start = time.perf_counter()
        compacted = compact(directory)
        print(f"compaction: {compacted.describe()} in {time.perf_counter() - start:.1f} s")
        print(
            f"scrapy archive-show {code} after: {timed('archive-show', code, '--dir', tmp):.2f} s"
        )


if __name__ == "__main__":
    main()
