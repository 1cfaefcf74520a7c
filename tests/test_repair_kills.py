"""Repairs that cannot lose a record: ``archive-verify --repair`` and the
start-up repair, each SIGKILLed at random moments on an archive with bad
lines in the middle. After the next repair completes, every good record is in
the files exactly once and the archive verifies clean."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from crawler.archive.repair import repair
from crawler.archive.verify import repair_archive
from crawler.archive.writer import ARCHIVE_GLOB
from crawler.ledger import SQLiteLedger
from tests.archives import story, write_run
from tests.crawling import ROOT, SCRAPY
from tests.verifying import assert_ledger_matches_archive

KILLS = 8
STORIES = 1500
START_UP_REPAIR = """
import sys
from pathlib import Path
from crawler.archive.repair import repair
from crawler.ledger import SQLiteLedger
directory = Path(sys.argv[1])
ledger = SQLiteLedger.in_directory(directory)
print("ready", flush=True)
repair(directory, ledger)
ledger.close()
"""


def damaged(lines: list[bytes], rng: random.Random, repeat: bool = True) -> list[bytes]:
    """The lines with garbage, a cut line, a changed byte and (as only a
    person's copying makes one) a repeat among them."""
    out = list(lines)
    for at in sorted(rng.sample(range(1, len(lines)), 6), reverse=True):
        out.insert(at, rng.choice([b"\x00" * 300 + b"\n", b'{"story_code": 5, "ti\n', b"[]\n"]))
    changed = json.loads(out[len(out) // 3])
    changed["body"] += " (changed)"
    out[len(out) // 3] = json.dumps(changed, ensure_ascii=False).encode() + b"\n"
    if repeat:
        out.insert(len(out) // 2, lines[len(lines) // 2])
    return out


def file_lines(directory: Path) -> Counter[bytes]:
    counts: Counter[bytes] = Counter()
    for path in directory.glob(ARCHIVE_GLOB):
        counts.update(path.read_bytes().splitlines(keepends=True))
    return counts


def assert_every_good_record_once(directory: Path, good: set[bytes]) -> None:
    counts = file_lines(directory)
    assert [line for line in good if counts[line] != 1] == []


def kill_at_random(child: subprocess.Popen[str], ready, span: float, rng: random.Random):  # type: ignore[no-untyped-def]
    ready()
    time.sleep(rng.uniform(0, span))
    child.send_signal(signal.SIGKILL)
    child.wait()


def verify_repair_archive(tmp_path: Path) -> tuple[Path, set[bytes]]:
    pristine = tmp_path / "pristine"
    good: set[bytes] = set()
    rng = random.Random(9)
    for run, codes in (("run1", range(1, 800)), ("run2", range(800, STORIES))):
        path = write_run(pristine, run, [story(code) for code in codes])
        lines = path.read_bytes().splitlines(keepends=True)
        written = damaged(lines, rng)
        good |= set(lines) & set(written)
        path.write_bytes(b"".join(written))
    return pristine, good


def wait_for_lock(directory: Path, pid: int) -> None:
    lock = directory / ".lock"
    while not (lock.exists() and lock.read_text().startswith(f"pid {pid} ")):
        time.sleep(0.001)


def test_killed_archive_verify_repair_loses_no_record(tmp_path: Path) -> None:
    pristine, good = verify_repair_archive(tmp_path)
    rng = random.Random(4)
    command = [*SCRAPY, "archive-verify", "--repair", "--dir"]
    # How long a whole repair takes once the command holds the lock.
    calibration = tmp_path / "calibration"
    shutil.copytree(pristine, calibration)
    child = subprocess.Popen([*command, str(calibration)], cwd=ROOT, text=True,
                             stdout=subprocess.DEVNULL)  # fmt: skip
    wait_for_lock(calibration, child.pid)
    started = time.monotonic()
    assert child.wait() == 0
    span = time.monotonic() - started
    assert_every_good_record_once(calibration, good)

    for round_ in range(KILLS):
        work = tmp_path / f"round{round_}"
        shutil.copytree(pristine, work)
        for _ in range(3):  # killed again in the middle of the next repair, too
            child = subprocess.Popen([*command, str(work)], cwd=ROOT, text=True,
                                     stdout=subprocess.DEVNULL)  # fmt: skip
            kill_at_random(child, lambda: wait_for_lock(work, child.pid), span, rng)  # noqa: B023
        repair_archive(work)
        assert_every_good_record_once(work, good)
        assert_ledger_matches_archive(work)


def start_up_archive(tmp_path: Path) -> tuple[Path, set[bytes]]:
    """Lines past the committed size (written before a kill, not yet in the
    ledger) with bad ones among them."""
    pristine = tmp_path / "pristine"
    path = write_run(pristine, "run1", [story(code) for code in range(1, STORIES)])
    lines = path.read_bytes().splitlines(keepends=True)
    committed = sum(len(line) for line in lines[:100])
    ledger = SQLiteLedger.in_directory(pristine)
    try:
        ledger.forget_archived_after(path.name, committed)
    finally:
        ledger.close()
    written = lines[:100] + damaged(lines[100:], random.Random(5), repeat=False)
    path.write_bytes(b"".join(written))
    return pristine, set(lines) & set(written)


def test_killed_start_up_repair_loses_no_record(tmp_path: Path) -> None:
    pristine, good = start_up_archive(tmp_path)
    rng = random.Random(6)
    calibration = tmp_path / "calibration"
    shutil.copytree(pristine, calibration)
    child = subprocess.Popen([sys.executable, "-c", START_UP_REPAIR, str(calibration)],
                             cwd=ROOT, text=True, stdout=subprocess.PIPE)  # fmt: skip
    assert child.stdout is not None
    child.stdout.readline()
    started = time.monotonic()
    assert child.wait() == 0
    span = time.monotonic() - started
    child.stdout.close()

    for round_ in range(KILLS):
        work = tmp_path / f"round{round_}"
        shutil.copytree(pristine, work)
        for _ in range(3):
            child = subprocess.Popen([sys.executable, "-c", START_UP_REPAIR, str(work)],
                                     cwd=ROOT, text=True, stdout=subprocess.PIPE)  # fmt: skip
            assert child.stdout is not None
            kill_at_random(child, child.stdout.readline, span, rng)
            child.stdout.close()
        # The next start finishes the repair.
        ledger = SQLiteLedger.in_directory(work)
        try:
            repair(work, ledger)
        finally:
            ledger.close()
        assert_every_good_record_once(work, good)
        assert_ledger_matches_archive(work)
