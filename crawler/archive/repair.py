"""Bringing the ledger and the archive files back into agreement.

At every start, each archive file's size is compared with the size the ledger
committed for it. Equal sizes (the normal case) cost one ``stat``: the archive
is not read. A longer file holds lines written just before a kill, which are
adopted into the ledger; a torn last line is moved aside into ``torn/`` (never
deleted). A shorter file lost its end in a reboot: the codes whose lines were
there are forgotten, so the next run fetches them again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.archive.compact import finish_interrupted
from crawler.archive.writer import ARCHIVE_GLOB
from crawler.ledger import ArchivedLine, Ledger

TORN_DIR = "torn"


@dataclass
class RepairReport:
    adopted: int = 0
    torn: list[str] = field(default_factory=list)  # where torn bytes were moved
    forgotten: list[int] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.adopted or self.torn or self.forgotten)

    def describe(self) -> str:
        parts = []
        if self.adopted:
            parts.append(f"{self.adopted} line(s) written before an interruption adopted")
        if self.torn:
            parts.append(f"torn line(s) moved aside to {', '.join(self.torn)}")
        if self.forgotten:
            parts.append(f"{len(self.forgotten)} code(s) whose lines were lost will be fetched")
        return "; ".join(parts) or "archive and ledger agree"


def parse_record(line: bytes) -> dict[str, Any] | None:
    """A complete archive record, or None if the line is not one.

    >>> parse_record(b'{"story_code": 1, "content_sha256": "ab"}\\n')["story_code"]
    1
    >>> parse_record(b'{"story_code": 1, "cont') is None
    True
    """
    if not line.endswith(b"\n"):
        return None
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(record, dict):
        return None
    if not isinstance(record.get("story_code"), int) or not record.get("content_sha256"):
        return None
    return record


def archived_line(record: dict[str, Any], file: str, offset: int, end: int) -> ArchivedLine:
    return ArchivedLine(
        code=record["story_code"],
        sha256=record["content_sha256"],
        archive_file=file,
        offset=offset,
        end=end,
        published_at=record.get("published_at"),
        revision=record.get("revision") or 1,
    )


def scan_lines(path: Path, start: int = 0) -> list[tuple[int, bytes]]:
    """The file's lines from ``start``, each with its offset."""
    lines: list[tuple[int, bytes]] = []
    offset = start
    with path.open("rb") as handle:
        handle.seek(start)
        for line in handle:
            lines.append((offset, line))
            offset += len(line)
    return lines


def _move_aside(path: Path, offset: int, data: bytes) -> str:
    torn_dir = path.parent / TORN_DIR
    torn_dir.mkdir(exist_ok=True)
    target = torn_dir / f"{path.name}.{offset}.torn"
    target.write_bytes(data)
    return str(target.relative_to(path.parent))


def repair_file(path: Path, start: int) -> tuple[list[ArchivedLine], list[str], int]:
    """Adopt the complete records past ``start``; move anything else aside.

    Good lines that follow a bad one are kept: the bad bytes are moved out and
    the good ones written back, so nothing complete is lost.
    """
    lines = scan_lines(path, start)
    good: list[tuple[int, bytes, dict[str, Any]]] = []
    bad: list[tuple[int, bytes]] = []
    for offset, line in lines:
        record = parse_record(line)
        if record is None:
            bad.append((offset, line))
        else:
            good.append((offset, line, record))
    torn: list[str] = []
    if bad:
        first_bad = bad[0][0]
        torn = [_move_aside(path, offset, data) for offset, data in bad]
        keep_after = [(line, record) for offset, line, record in good if offset > first_bad]
        with path.open("r+b") as handle:
            handle.truncate(first_bad)
            handle.seek(first_bad)
            for line, _ in keep_after:
                handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        # Recompute offsets: the kept lines moved up.
        lines = scan_lines(path, start)
        good = [(o, line, r) for o, line in lines if (r := parse_record(line)) is not None]
    adopted = [archived_line(r, path.name, o, o + len(line)) for o, line, r in good]
    return adopted, torn, path.stat().st_size


def repair(directory: Path, ledger: Ledger) -> RepairReport:
    # A compaction killed after its ledger switch is finished first: until
    # then its new file is not where the ledger says (crawler/archive/compact.py).
    finish_interrupted(directory)
    report = RepairReport()
    committed = ledger.committed_sizes()
    for path in sorted(directory.glob(ARCHIVE_GLOB)):
        size = path.stat().st_size
        known = committed.get(path.name, 0)
        if size == known:
            continue
        if size < known:
            report.forgotten.extend(ledger.forget_archived_after(path.name, size))
            continue
        adopted, torn, new_size = repair_file(path, known)
        ledger.adopt_lines(path.name, adopted, new_size)
        report.adopted += len(adopted)
        report.torn.extend(torn)
    return report
