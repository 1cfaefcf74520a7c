"""Start-up repair of the WARC files: a torn gzip member at a file's end (a
kill mid-write, a reboot that lost the tail) is moved aside into ``torn/``,
never deleted, and the codes whose capture was in it are reported.

Only the part of each file past what the capture index last pointed at is
read: the rest was whole when its rows were committed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from crawler.ledger import Ledger, SQLiteLedger
from crawler.warc.index import WarcIndex, lost_records
from crawler.warc.members import members
from crawler.warc.verify import scan_warc
from crawler.warc.writer import WARC_DIR, WARC_GLOB

TORN_DIR = "torn"


@dataclass
class WarcRepairReport:
    torn: list[str] = field(default_factory=list)  # where torn bytes were moved
    vanished: list[str] = field(default_factory=list)  # files the index knew, gone
    # Codes whose capture is gone: see forget_uncaptured().
    uncaptured: list[int] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.torn or self.vanished or self.uncaptured)

    def describe(self) -> str:
        parts = []
        if self.torn:
            parts.append(f"torn WARC tail(s) moved aside to {', '.join(self.torn)}")
        if self.vanished:
            parts.append(f"WARC file(s) gone: {', '.join(self.vanished)}")
        if self.uncaptured:
            parts.append(f"{len(self.uncaptured)} code(s) lost their capture")
        return "; ".join(parts) or "WARC files whole"


def whole_members_end(path: Path, start: int = 0) -> int:
    """Where the last complete gzip member at or after ``start`` ends.

    >>> import tempfile, gzip
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "x.warc.gz"
    ...     whole = gzip.compress(b"one") + gzip.compress(b"two")
    ...     _ = path.write_bytes(whole + gzip.compress(b"three")[:-3])
    ...     whole_members_end(path) == len(whole)
    True
    """
    ends = (end for _, end, _ in members(path, start))
    return max(ends, default=start)


def _move_tail(path: Path, end: int, torn_dir: Path) -> str:
    torn_dir.mkdir(exist_ok=True)
    target = torn_dir / f"{path.name}.{end}.torn"
    with path.open("r+b") as handle:
        handle.seek(end)
        target.write_bytes(handle.read())
        with target.open("rb") as copy:
            os.fsync(copy.fileno())
        handle.truncate(end)
        handle.flush()
        os.fsync(handle.fileno())
    return f"{TORN_DIR}/{target.name}"


def repair_warc(archive_dir: Path, index: WarcIndex) -> WarcRepairReport:
    """Cut every WARC file in ``archive_dir/warc`` back to its last whole
    member, and report the codes whose capture was past the cut."""
    report = WarcRepairReport()
    known = index.known_ends()
    uncaptured: set[int] = set()
    directory = archive_dir / WARC_DIR
    paths = sorted(directory.glob(WARC_GLOB)) if directory.is_dir() else []
    for path in paths:
        size = path.stat().st_size
        start = known.pop(path.name, 0)
        if size == start:
            continue
        end = whole_members_end(path, start if start < size else 0)
        if end < size:
            report.torn.append(_move_tail(path, end, archive_dir / TORN_DIR))
        uncaptured.update(index.drop_after(path.name, end))
    for name in sorted(known):  # files the index knows of but the disk no longer has
        report.vanished.append(name)
        uncaptured.update(index.lose_file(name))
    report.uncaptured = sorted(uncaptured)
    return report


def forget_uncaptured(index: WarcIndex, ledger: Ledger, uncaptured: Iterable[int]) -> list[int]:
    """What every repair does with codes whose capture is gone: the next run
    that covers them fetches them again. Archived ones keep their record and
    await a new capture; the codes a run captured again since the last repair
    are settled again first. Return the archived codes now awaiting one."""
    # Each step may be killed after the one before: the index first says
    # what is awaited, the ledger then says what is due.
    recaptured = index.recaptured()
    if recaptured:
        ledger.captured_again(recaptured)
        index.no_longer_awaited(recaptured)
    codes = list(uncaptured)
    if not codes:
        return []  # at every start-up, the usual case: nothing written
    index.await_recapture(codes)
    return ledger.forget_captures(codes)


def repair_captures(archive_dir: Path, ledger: SQLiteLedger) -> list[str]:
    """``archive-verify --repair``'s part of the WARC files: what a start-up
    repairs (torn tails, files gone), then every archived code that no sound
    record captures, found by reading every file, awaits a new capture.
    Return what was done."""
    index = WarcIndex.on_ledger(ledger)
    done: list[str] = []
    try:
        report = repair_warc(archive_dir, index)
        scan = scan_warc(archive_dir, lost_records(archive_dir))
        if scan.damaged:
            # Cut where the damage starts, the rest kept in torn/: from there
            # on nothing is trusted, and what it captured is captured again
            # (with full records: a revisit of a record past a cut would
            # point at nothing readable).
            for name, at in sorted(scan.damaged.items()):
                moved = _move_tail(archive_dir / WARC_DIR / name, at, archive_dir / TORN_DIR)
                index.drop_after(name, at)
                done.append(
                    f"WARC file {name} damaged at byte {at}: cut there, the rest in {moved}"
                )
            scan = scan_warc(archive_dir, lost_records(archive_dir))
        missing = scan.uncaptured(state.code for state in ledger.archived())
        kept = forget_uncaptured(index, ledger, sorted({*report.uncaptured, *missing}))
    finally:
        index.close()
    if not report.clean:
        done.insert(0, report.describe())
    if kept:
        done.append(
            f"{len(kept)} archived stor{'y' if len(kept) == 1 else 'ies'} without a WARC"
            f" capture ({codes_named(kept)}): the records are kept, and the next crawl that"
            " covers them fetches them again to capture them"
        )
    return done


def codes_named(codes: list[int], most: int = 10) -> str:
    """
    >>> codes_named([5, 7]), codes_named(list(range(1, 100)))
    ('codes 5, 7', 'codes 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 89 more')
    """
    named = ", ".join(map(str, codes[:most]))
    more = f" and {len(codes) - most} more" if len(codes) > most else ""
    return f"code{'s' if len(codes) > 1 else ''} {named}{more}"
