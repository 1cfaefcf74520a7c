"""How the archive commands scale: ``archive-verify`` and ``archive-status``
on a generated archive of a million records (time and peak RSS, min/median/max
over rounds).

Each measurement is one function (``measure_<name>``); ``--only`` picks some.
The archive is generated directly (lines and ledger rows, no crawl), with
record sizes like the replica's stories (bodies of 0.6-5.4 KB, 2.6 KB on
average), spread over ten run files.

``verify`` also runs the command's stages one by one in this process, each
with its CPU time (worker processes included), and derives from them the wall
time on idle cores: on a shared machine the command's own wall time says more
about the other work than about verify.

Run from the repository root:
``.venv/bin/python -m bench.scale [--records 1000000] [--rounds 3] [--only verify,status]``
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

from crawler.archive import verify as verify_module
from crawler.archive.writer import RECORD_FIELDS
from crawler.ledger import SQLiteLedger

ROOT = Path(__file__).resolve().parent.parent
FILES = 10
TEHRAN = timezone(timedelta(hours=3, minutes=30))
_WORDS = [
    "Tehran",
    "talks",
    "minister",
    "nuclear",
    "agency",
    "sanctions",
    "parliament",
    "economy",
    "oil",
    "province",
    "officials",
    "meeting",
    "said",
    "week",
    "foreign",
    "trade",
    "government",
    "security",
    "region",
    "council",
]


def _paragraphs(rng: random.Random) -> list[str]:
    return [
        " ".join(rng.choice(_WORDS) for _ in range(rng.randint(20, 90))) + "." for _ in range(64)
    ]


def _record(code: int, rng: random.Random, pool: list[str]) -> dict[str, object]:
    title = f"Story {code}: " + " ".join(rng.choice(_WORDS) for _ in range(8))
    lead = " ".join(rng.choice(_WORDS) for _ in range(25)) if rng.random() < 0.8 else None
    body = "\n\n".join(rng.sample(pool, rng.randint(1, 12)))
    published = datetime(2020, 1, 1, tzinfo=TEHRAN) + timedelta(minutes=7 * code)
    text = f"{title}\n{lead or ''}\n{body}"
    record: dict[str, object] = dict.fromkeys(RECORD_FIELDS)
    record.update(
        story_code=code,
        url=f"https://www.example.org/en/news/{code}/story-{code}",
        language="en",
        title=title,
        lead=lead,
        body=body,
        published_at=published.isoformat(),
        source="IRNA",
        section="Politics",
        tags=["Iran"],
        images=[f"https://www.example.org/images/{code}.jpg"],
        crawled_at="2026-11-28T00:00:00Z",
        content_sha256=hashlib.sha256(text.encode()).hexdigest(),
        revision=1,
        previous_sha256=None,
    )
    return record


def generate(directory: Path, records: int) -> None:
    """``records`` archived stories in ten run files, and a ledger that agrees
    (plus one not_found code for every ten stories)."""
    rng = random.Random(7)
    pool = _paragraphs(rng)
    ledger = SQLiteLedger.in_directory(directory)
    db = ledger._db  # a benchmark may load directly; the crawler never does
    db.execute("BEGIN")
    per_file = -(-records // FILES)
    for number in range(FILES):
        codes = list(range(number * per_file + 1, min(records, (number + 1) * per_file) + 1))
        # Concurrent requests finish out of order: shuffle within small windows.
        for start in range(0, len(codes), 50):
            window = codes[start : start + 50]
            rng.shuffle(window)
            codes[start : start + 50] = window
        name = f"stories-2026112{number}T000000Z-bench.jsonl"
        rows = []
        offset = 0
        with (directory / name).open("wb") as out:
            for code in codes:
                record = _record(code, rng, pool)
                line = orjson.dumps(record) + b"\n"
                out.write(line)
                rows.append(
                    (code, "archived", "2026-11-28T00:00:00Z", record["content_sha256"], name,
                     offset, record["published_at"], 1)
                )  # fmt: skip
                offset += len(line)
        db.executemany(
            "INSERT INTO codes (code, state, updated_at, sha256, archive_file, archive_offset,"
            " published_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.execute("INSERT INTO archive_files VALUES (?, ?)", (name, offset))
    db.executemany(
        "INSERT INTO codes (code, state, updated_at, detail) VALUES (?, 'not_found', ?, '404')",
        ((code, "2026-11-28T00:00:00Z") for code in range(records + 1, records + records // 10)),
    )
    db.execute("COMMIT")
    ledger.close()


def _command(*args: str) -> tuple[float, float, float, int]:
    """Run a scrapy command; its wall time, CPU time (user + system, its
    worker processes included), peak RSS (MB, of its largest process) and
    exit status."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "scrapy.cmdline", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start, cpu, usage.ru_maxrss / 1024, child.returncode


def _rounds(run: Callable[[], tuple[float, float, float, int]], rounds: int) -> Iterator[str]:
    times, cpus, peaks = [], [], []
    for _ in range(rounds):
        seconds, cpu, peak, status = run()
        if status != 0:
            raise SystemExit(f"the command exited {status}")
        times.append(seconds)
        cpus.append(cpu)
        peaks.append(peak)
    yield f"wall time {_spread(times, 's')}"
    yield f"CPU time {_spread(cpus, 's')}"
    yield f"peak RSS {_spread(peaks, ' MB')}"


def _spread(values: list[float], unit: str) -> str:
    """
    >>> _spread([3.0, 1.0, 2.0], "s")
    'min 1.00s, median 2.00s, max 3.00s'
    """
    return (
        f"min {min(values):.2f}{unit}, median {statistics.median(values):.2f}{unit},"
        f" max {max(values):.2f}{unit}"
    )


def measure_verify(directory: Path, rounds: int) -> Iterator[str]:
    """``scrapy archive-verify``: every line parsed and hashed, the ledger
    integrity-checked and compared with the files. Then its stages."""
    yield from _rounds(lambda: _command("archive-verify", "--dir", str(directory)), rounds)
    with tempfile.TemporaryDirectory() as empty:
        start_up = [_command("archive-verify", "--dir", empty)[1] for _ in range(rounds)]
    # In a process of its own: a command started later from this one would
    # count this one's memory in its peak RSS (which survives exec).
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        stages = list(pool.map(_verify_stages, [directory] * rounds))
    reading = [stage[0] for stage in stages]
    integrity = [stage[1] for stage in stages]
    rest = [stage[2] for stage in stages]
    lines = stages[0][3]
    cores = len(os.sched_getaffinity(0))
    yield f"Scrapy start-up (verify of an empty directory), CPU {_spread(start_up, 's')}"
    yield (
        f"reading (parse, hash, ledger look-ups; worker processes) CPU {_spread(reading, 's')},"
        f" {statistics.median(reading) / lines * 1e6:.2f} us a line"
    )
    yield f"ledger integrity check (alongside the reading) CPU {_spread(integrity, 's')}"
    yield f"the rest (content check, comparison, sizes) CPU {_spread(rest, 's')}"
    # The reading and the integrity check run side by side, spread over the
    # cores (the pieces are small); start-up and the rest run alone.
    idle = [
        start + max(check, (read + check) / cores) + after
        for start, read, check, after in zip(start_up, reading, integrity, rest, strict=True)
    ]
    yield f"wall time on {cores} idle cores (from the CPU times above) {_spread(idle, 's')}"


def _cpu() -> float:
    """CPU time of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _verify_stages(directory: Path) -> tuple[float, float, float, int]:
    """CPU time of verify's stages, run one after the other: reading the
    files (with the ledger look-ups), SQLite's integrity check, the rest;
    and the number of lines."""
    ledger = SQLiteLedger.in_directory(directory)
    try:
        report = verify_module.Verification()
        start = _cpu()
        columns = verify_module._read_archive(
            directory, report, keep_published=False, ledger=ledger.path
        )
        read = _cpu()
        if ledger.problems():
            raise SystemExit("the ledger is damaged")
        checked = _cpu()
        verify_module._content_problems(columns)
        if not verify_module._compare_pointers(columns, ledger, report):
            raise SystemExit("the archive and its ledger disagree")
        verify_module._compare_sizes(columns, ledger, report)
        done = _cpu()
    finally:
        ledger.close()
    return read - start, checked - read, done - checked, report.lines


def measure_status(directory: Path, rounds: int) -> Iterator[str]:
    """``scrapy archive-status`` (the command, Scrapy's start-up included),
    then the ledger queries alone, in this process."""
    yield from _rounds(lambda: _command("archive-status", "--dir", str(directory)), rounds)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        ledger = SQLiteLedger.in_directory(directory)
        ledger.counts()
        ledger.code_range()
        ledger.newest_story()
        ledger.last_run()
        ledger.close()
        times.append(time.perf_counter() - start)
    yield f"ledger queries alone {_spread(times, 's')}"


MEASUREMENTS: dict[str, Callable[[Path, int], Iterator[str]]] = {
    "verify": measure_verify,
    "status": measure_status,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(MEASUREMENTS), help="comma-separated")
    parser.add_argument("--dir", help="keep (or reuse) the generated archive here")
    options = parser.parse_args()
    chosen = options.only.split(",")
    unknown = set(chosen) - MEASUREMENTS.keys()
    if unknown:
        parser.error(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(options.dir or scratch)
        directory.mkdir(parents=True, exist_ok=True)
        if not (directory / SQLiteLedger.FILENAME).exists():
            start = time.perf_counter()
            # Elsewhere, for the same reason as the verify stages.
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
                pool.submit(generate, directory, options.records).result()
            print(f"generated {options.records:,} records in {time.perf_counter() - start:.0f}s")
        size = sum(path.stat().st_size for path in directory.iterdir()) / 2**20
        print(f"archive: {options.records:,} records, {size:,.0f} MB on disk")
        for name in chosen:
            for line in MEASUREMENTS[name](directory, options.rounds):
                print(f"{name}: {line}")


if __name__ == "__main__":
    main()
