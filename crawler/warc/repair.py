"""Start-up repair of the WARC files: a torn gzip member at a file's end (a
kill mid-write, a reboot that lost the tail) is moved aside into ``torn/``,
never deleted, and the codes whose capture was in it are reported.

Only the part of each file past what the capture index last pointed at is
read: the rest was whole when its rows were committed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from crawler.warc.index import WarcIndex
from crawler.warc.members import members
from crawler.warc.writer import WARC_DIR, WARC_GLOB

TORN_DIR = "torn"


@dataclass
class WarcRepairReport:
    torn: list[str] = field(default_factory=list)  # where torn bytes were moved
    # Codes whose capture is gone: the store forgets them, so they are fetched again.
    uncaptured: list[int] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.torn or self.uncaptured)

    def describe(self) -> str:
        parts = []
        if self.torn:
            parts.append(f"torn WARC tail(s) moved aside to {', '.join(self.torn)}")
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
    for name in known:  # files the index knows of but the disk no longer has
        uncaptured.update(index.drop_after(name, 0))
    report.uncaptured = sorted(uncaptured)
    return report
