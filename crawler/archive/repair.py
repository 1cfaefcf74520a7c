"""Bringing the ledger and the archive files back into agreement.

At every start, each archive file's size is compared with the size the ledger
committed for it. Equal sizes (the normal case) cost one ``stat``: the archive
is not read.

- A longer file holds lines written just before a kill: they are adopted into
  the ledger.
- A shorter file lost its end in a reboot: the half line at the cut is moved
  aside, and the codes whose lines were at or past the cut are forgotten, so
  the next run fetches them again. Only the bytes back to the last line end
  are read.
- A file the ledger committed that no longer exists: its codes are forgotten,
  and the report says so loudly.

Nothing is ever deleted and no complete record is ever lost, even if the
repair itself is killed at any moment:

- bytes that are not a valid complete line are first copied to ``torn/`` and
  made durable;
- a bad tail with nothing good after it is then cut off;
- any other repair writes the repaired copy beside the file, fsyncs it, renames
  it over the file and fsyncs the directory. The original stays whole until
  the rename, and the copy keeps everything before the first dropped line
  byte for byte, with the ledger's committed size lowered to that point
  first: a kill after the rename leaves lines that the next start adopts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from crawler.archive.compact import finish_interrupted
from crawler.archive.writer import ARCHIVE_GLOB, fsync_directory, line_crc32
from crawler.items import content_sha256
from crawler.ledger import ArchivedLine, Ledger

TORN_DIR = "torn"
REPAIRING_GLOB = ".stories-*.jsonl.repairing"
_TAIL_CHUNK = 64 * 1024
_HEX = "0123456789abcdef"

# (story_code, revision, content_sha256, previous_sha256, published_at,
# content matches its fields): a line as plain values, no object per line.
LineFields = tuple[int, int, str, str | None, str | None, bool]


@dataclass
class RepairReport:
    adopted: int = 0
    torn: list[str] = field(default_factory=list)  # where torn bytes were moved
    forgotten: list[int] = field(default_factory=list)
    # Archive files the ledger had committed that no longer exist: their
    # stories are gone from the archive. Log this as a WARNING at least.
    missing: list[str] = field(default_factory=list)
    # Archive files found shorter than their committed size (a reboot cut them).
    truncated: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.adopted or self.torn or self.forgotten or self.missing or self.truncated)

    def describe(self) -> str:
        """
        >>> print(RepairReport(missing=["stories-a.jsonl"], forgotten=[7, 8]).describe())
        ARCHIVE FILE MISSING: stories-a.jsonl (its stories are no longer in the archive); 2 code(s) whose lines were lost will be fetched
        """  # noqa: E501
        parts = []
        if self.missing:
            parts.append(
                f"ARCHIVE FILE MISSING: {', '.join(self.missing)}"
                " (its stories are no longer in the archive)"
            )
        if self.truncated:
            parts.append(f"cut below its committed size: {', '.join(self.truncated)}")
        if self.adopted:
            parts.append(f"{self.adopted} line(s) written before an interruption adopted")
        if self.torn:
            parts.append(f"torn line(s) moved aside to {', '.join(self.torn)}")
        if self.forgotten:
            parts.append(f"{len(self.forgotten)} code(s) whose lines were lost will be fetched")
        return "; ".join(parts) or "archive and ledger agree"


def _is_sha(value: Any) -> bool:
    """
    >>> _is_sha("ab" * 32), _is_sha("zz" * 32), _is_sha("ab")
    (True, False, False)
    """
    return isinstance(value, str) and len(value) == 64 and not value.strip(_HEX)


def read_line(line: bytes) -> LineFields | str:
    """A line's fields, or why it is not a complete story record.

    >>> sha = "c467a8e4991d" + "0" * 52  # not the hash of T, B
    >>> line = ('{"story_code": 1, "title": "T", "lead": null, "body": "B",'
    ...     f' "content_sha256": "{sha}"}}\\n').encode()
    >>> read_line(line)[:2], read_line(line)[5]
    ((1, 1), False)
    >>> read_line(b'{"story_code": 1, "tit')
    'incomplete line (no line end)'
    >>> read_line(b'[1]\\n')
    'not a story record'
    """
    if not line.endswith(b"\n"):
        return "incomplete line (no line end)"
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return "not JSON"
    if type(record) is not dict:
        return "not a story record"
    code = record.get("story_code")
    sha = record.get("content_sha256")
    title = record.get("title")
    lead = record.get("lead")
    body = record.get("body")
    revision = record.get("revision", 1)
    if revision is None:
        revision = 1
    previous = record.get("previous_sha256")
    published = record.get("published_at")
    # Written out rather than through helpers: this runs once per line of
    # the archive, millions of times in archive-verify.
    if (
        type(code) is not int
        or type(revision) is not int
        or revision < 1
        or type(sha) is not str
        or len(sha) != 64
        or type(title) is not str
        or type(body) is not str
        or not (lead is None or type(lead) is str)
        or not (previous is None or _is_sha(previous))
        or not (published is None or type(published) is str)
    ):
        return "not a story record"
    sound = content_sha256(title, lead, body) == sha
    # A hash equal to the content's own is well formed: only another needs
    # its characters checked (which costs more than the comparison).
    if not sound and sha.strip(_HEX):
        return "not a story record"
    return code, revision, sha, previous, published, sound


def is_sound(fields: LineFields | str) -> bool:
    """Whether a line is one the archive keeps: a complete record whose
    content hash matches its own fields."""
    return not isinstance(fields, str) and fields[5]


def archived_line(fields: LineFields, file: str, offset: int, line: bytes) -> ArchivedLine:
    code, revision, sha, _, published, _ = fields
    return ArchivedLine(
        code=code,
        sha256=sha,
        archive_file=file,
        offset=offset,
        end=offset + len(line),
        published_at=published,
        revision=revision,
        line_crc32=line_crc32(line),
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


def store_aside(path: Path, offset: int, kind: str, data: bytes) -> str:
    """Copy bytes of ``path`` that leave it to ``torn/<name>.<offset>.<kind>``
    (durably, before they leave it); return where, relative to the archive.

    A copy already there with the same bytes is the work of a repair killed
    before it finished, and is reused; a different one is never overwritten.
    """
    torn_dir = path.parent / TORN_DIR
    torn_dir.mkdir(exist_ok=True)
    target = torn_dir / f"{path.name}.{offset}.{kind}"
    number = 1
    while target.exists():
        if target.read_bytes() == data:
            return str(target.relative_to(path.parent))
        target = torn_dir / f"{path.name}.{offset}.{kind}.{number}"
        number += 1
    with target.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    return str(target.relative_to(path.parent))


def cut_tail(path: Path, cut: int, kind: str = "torn") -> str:
    """Move everything from ``cut`` on aside, then cut the file there."""
    with path.open("rb") as handle:
        handle.seek(cut)
        data = handle.read()
    target = store_aside(path, cut, kind, data)
    fsync_directory(path.parent / TORN_DIR)
    with path.open("r+b") as handle:
        handle.truncate(cut)
        handle.flush()
        os.fsync(handle.fileno())
    return target


def rewrite_without(path: Path, drops: Mapping[int, str]) -> list[str]:
    """Replace ``path`` by a copy without the lines starting at the offsets in
    ``drops``; each run of dropped lines of one kind goes to ``torn/`` first.

    The copy is written beside the file and renamed over it only once it is
    durable, so a kill at any moment leaves either the whole original or the
    whole copy.
    """
    temporary = path.with_name(f".{path.name}.repairing")
    moved: list[str] = []
    piece: list[bytes] = []
    piece_at = 0
    piece_kind: str | None = None
    with path.open("rb") as source, temporary.open("wb") as copy:
        offset = 0
        for line in source:
            kind = drops.get(offset)
            if piece and kind != piece_kind:
                moved.append(store_aside(path, piece_at, str(piece_kind), b"".join(piece)))
                piece = []
            if kind is None:
                copy.write(line)
            else:
                if not piece:
                    piece_at, piece_kind = offset, kind
                piece.append(line)
            offset += len(line)
        if piece:
            moved.append(store_aside(path, piece_at, str(piece_kind), b"".join(piece)))
        copy.flush()
        os.fsync(copy.fileno())
    if moved:
        fsync_directory(path.parent / TORN_DIR)
    os.replace(temporary, path)
    fsync_directory(path.parent)
    return moved


def repair_file(path: Path, start: int) -> tuple[list[ArchivedLine], list[str], int]:
    """Adopt the sound records past ``start``; move anything else aside.

    Good lines that follow a bad one are kept: the file is rewritten without
    the bad bytes (see :func:`rewrite_without`), so nothing complete is lost.
    """
    lines = [(offset, line, read_line(line)) for offset, line in scan_lines(path, start)]
    bad = [offset for offset, _, fields in lines if not is_sound(fields)]
    torn: list[str] = []
    if bad and all(not is_sound(fields) for offset, _, fields in lines if offset >= bad[0]):
        torn.append(cut_tail(path, bad[0]))
    elif bad:
        torn.extend(rewrite_without(path, dict.fromkeys(bad, "torn")))
    adopted: list[ArchivedLine] = []
    offset = start
    for _, line, fields in lines:
        if is_sound(fields):
            assert not isinstance(fields, str)
            adopted.append(archived_line(fields, path.name, offset, line))
            offset += len(line)
    return adopted, torn, path.stat().st_size


def last_line_end(path: Path, size: int) -> int:
    """Where the last complete line before ``size`` ends, reading backwards
    only as far as the previous line end."""
    with path.open("rb") as handle:
        end = size
        while end > 0:
            start = max(0, end - _TAIL_CHUNK)
            handle.seek(start)
            found = handle.read(end - start).rfind(b"\n")
            if found >= 0:
                return start + found + 1
            end = start
    return 0


def _repair_cut(path: Path, size: int, ledger: Ledger, report: RepairReport) -> None:
    cut = last_line_end(path, size)
    if cut < size:
        report.torn.append(cut_tail(path, cut))
    report.truncated.append(path.name)
    report.forgotten.extend(ledger.forget_archived_after(path.name, cut))


def remove_stale_copies(directory: Path) -> None:
    """A repaired copy left by a killed repair is never the only copy: the
    original stays whole until the copy is renamed over it."""
    for stale in directory.glob(REPAIRING_GLOB):
        stale.unlink()


def repair(directory: Path, ledger: Ledger) -> RepairReport:
    # A compaction killed after its ledger switch is finished first: until
    # then its new file is not where the ledger says (crawler/archive/compact.py).
    finish_interrupted(directory)
    report = RepairReport()
    remove_stale_copies(directory)
    committed = ledger.committed_sizes()
    present = sorted(directory.glob(ARCHIVE_GLOB))
    names = {path.name for path in present}
    for name in sorted(committed.keys() - names):
        report.missing.append(name)
        report.forgotten.extend(ledger.forget_file(name))
    for path in present:
        size = path.stat().st_size
        known = committed.get(path.name, 0)
        if size == known:
            continue
        if size < known:
            _repair_cut(path, size, ledger, report)
            continue
        adopted, torn, new_size = repair_file(path, known)
        ledger.adopt_lines(path.name, adopted, new_size)
        report.adopted += len(adopted)
        report.torn.extend(torn)
    return report
