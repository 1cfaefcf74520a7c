"""Checking an archive directory end to end, and repairing it from itself.

Unlike the start-up repair, this reads every line of every file. Every line
must be a complete record whose ``content_sha256`` matches its own fields; no
story twice (revisions aside); each revision's ``previous_sha256`` is the
content of the revision before; no content under two codes; the ledger must
be a sound SQLite file (``PRAGMA integrity_check``) that points at exactly the
lines the files hold.

It scales to millions of lines in bounded memory. The files are read as a
stream, in pieces spread over the cores, into a few flat columns (arrays of
numbers, one bytes buffer for the hashes); only the rare line that is not a
first revision gets an entry of its own. Each piece is compared with the
ledger rows of its codes (plain tuples, a read-only query per piece), so only
the few lines the ledger does not point at are looked at one by one
afterwards. When some archived row points at no line at all, the lines are
put in code order and merged with the ledger's archived codes read through an
ordered cursor, which names every disagreement. No object is kept per line.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import compress, count, islice
from operator import eq
from pathlib import Path
from typing import Any

from crawler.archive.repair import (
    read_line,
    remove_stale_copies,
    rewrite_without,
)
from crawler.archive.writer import ARCHIVE_GLOB, line_crc32
from crawler.ledger import ArchivedLine, CodeState, LedgerDamaged, SQLiteLedger, State
from crawler.ledger.rules import CAPTURE_LOST
from crawler.warc.index import ever_captured, lost_records
from crawler.warc.repair import repair_captures
from crawler.warc.verify import scan_warc, uncaptured_problem
from crawler.warc.writer import WARC_DIR

_NO_HASH = bytes(32)
# Below this many bytes of archive, starting worker processes costs more than
# it saves.
_PARALLEL_BYTES = 64 * 2**20
# Worker processes read the files in pieces of about this size, so the work
# spreads evenly over the cores even when one file holds most of the archive
# (a compacted month), and around SQLite's integrity check in this process.
_CHUNK_BYTES = 32 * 2**20
_READ_BUFFER = 2**20
# How many lost codes a repair names one by one before it only counts them.
_NAMED_CODES = 10


@dataclass(frozen=True)
class Problem:
    kind: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.message}"


@dataclass
class Verification:
    files: int = 0
    lines: int = 0
    codes: int = 0
    problems: list[Problem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    # Archived codes whose WARC capture was lost, awaiting a new one.
    awaiting_capture: int = 0
    # Archived codes never captured: archived while ARCHIVE_WARC was off, or
    # before capture existed (0.1.0). Nothing was lost, so no problem.
    never_captured: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files": self.files,
            "lines": self.lines,
            "codes": self.codes,
            "problems": [vars(p) for p in self.problems],
            "repaired": self.repaired,
            "awaiting_capture": self.awaiting_capture,
            "never_captured": self.never_captured,
        }

    def add(self, kind: str, where: str, message: str) -> None:
        self.problems.append(Problem(kind, where, message))


@dataclass
class _Piece:
    """The record lines that start in one piece of one file, as columns; line
    numbers count every line of the piece (bad ones too) from 1."""

    file: int
    codes: array[int] = field(default_factory=lambda: array("q"))
    offsets: array[int] = field(default_factory=lambda: array("q"))
    numbers: array[int] = field(default_factory=lambda: array("q"))
    hashes: bytearray = field(default_factory=bytearray)  # 32 bytes per line
    # (revision, previous_sha256) by position, for the few lines that are not
    # a first revision: every other line is revision 1 with no previous.
    revisions: dict[int, tuple[int, bytes]] = field(default_factory=dict)
    published: list[str | None] | None = None  # only when rebuilding the ledger
    ends: array[int] | None = None  # only when rebuilding the ledger
    crcs: array[int] | None = None  # only when rebuilding the ledger
    problems: list[tuple[str, int, str]] = field(default_factory=list)  # kind, number, message
    drops: dict[int, str] = field(default_factory=dict)  # offset -> kind, for a repair
    lines: int = 0
    end: int = 0  # the offset just past the piece's last line
    # Positions of the lines the ledger does not point at (when it was asked).
    unpointed: list[int] = field(default_factory=list)
    ledger_error: str | None = None


@dataclass
class _Columns:
    """Every record line of the archive, one entry per line in each column,
    in archive order (files by name, lines by offset)."""

    names: list[str] = field(default_factory=list)  # file index -> file name
    sizes: dict[str, int] = field(default_factory=dict)
    codes: array[int] = field(default_factory=lambda: array("q"))
    files: array[int] = field(default_factory=lambda: array("I"))
    offsets: array[int] = field(default_factory=lambda: array("q"))
    numbers: array[int] = field(default_factory=lambda: array("q"))
    hashes: bytearray = field(default_factory=bytearray)  # 32 bytes per line
    # (revision, previous_sha256) by line index, for lines that are not a
    # first revision.
    revisions: dict[int, tuple[int, bytes]] = field(default_factory=dict)
    published: list[str | None] | None = None  # only when rebuilding the ledger
    ends: array[int] = field(default_factory=lambda: array("q"))  # only when rebuilding
    crcs: array[int] = field(default_factory=lambda: array("I"))  # only when rebuilding
    # Per file, offset -> kind of each line a repair takes out.
    drops: dict[str, dict[int, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    lines: int = 0
    # Indexes of the lines whose code, file, offset and hash are not those of
    # an archived code's ledger row (known when the ledger was asked).
    unpointed: set[int] = field(default_factory=set)
    ledger_error: str | None = None

    def absorb(self, piece: _Piece, before: int) -> None:
        """Append a piece of a file, ``before`` lines of which came earlier."""
        base = len(self.codes)
        name = self.names[piece.file]
        self.codes.extend(piece.codes)
        self.offsets.extend(piece.offsets)
        self.numbers.extend(map(before.__add__, piece.numbers))
        self.files.extend(array("I", [piece.file]) * len(piece.codes))
        self.hashes += piece.hashes
        self.revisions.update((base + position, kept) for position, kept in piece.revisions.items())
        if (
            self.published is not None
            and piece.published is not None
            and piece.ends is not None
            and piece.crcs is not None
        ):
            self.published.extend(piece.published)
            self.ends.extend(piece.ends)
            self.crcs.extend(piece.crcs)
        if piece.drops:
            self.drops.setdefault(name, {}).update(piece.drops)
        self.problems.extend(
            Problem(kind, f"{name}:{before + number}", message)
            for kind, number, message in piece.problems
        )
        self.lines += piece.lines
        self.sizes[name] = piece.end
        self.unpointed.update(base + position for position in piece.unpointed)
        self.ledger_error = self.ledger_error or piece.ledger_error

    def sha(self, index: int) -> bytes:
        return bytes(self.hashes[index * 32 : index * 32 + 32])

    def revision(self, index: int) -> int:
        kept = self.revisions.get(index)
        return 1 if kept is None else kept[0]

    def previous(self, index: int) -> bytes:
        kept = self.revisions.get(index)
        return _NO_HASH if kept is None else kept[1]

    def file(self, index: int) -> str:
        return self.names[self.files[index]]

    def where(self, index: int) -> str:
        return f"{self.file(index)}:{self.numbers[index]}"

    def line(self, index: int) -> ArchivedLine:
        assert self.published is not None
        return ArchivedLine(
            code=self.codes[index],
            sha256=self.sha(index).hex(),
            archive_file=self.file(index),
            offset=self.offsets[index],
            end=self.ends[index],
            published_at=self.published[index],
            revision=self.revision(index),
            line_crc32=self.crcs[index],
        )


# A piece to read: the file, its index, where the piece starts, where the next
# one starts (None: the end of the file), whether to keep what a rebuilt
# ledger needs, and the ledger to ask where its lines' codes are (if any).
_Task = tuple[Path, int, int, int | None, bool, Path | None]


def _read_piece(task: _Task) -> _Piece:
    """The lines that start in ``[start, stop)`` of a file. A line that starts
    before ``start`` belongs to the piece before, and is skipped."""
    path, file_index, start, stop, keep_published, ledger = task
    piece = _Piece(file_index)
    if keep_published:
        piece.published, piece.ends, piece.crcs = [], array("q"), array("I")
    # Bound methods, fetched once: this loop runs once per line of the archive.
    codes, offsets, numbers = piece.codes.append, piece.offsets.append, piece.numbers.append
    hashes, revisions = piece.hashes.extend, piece.revisions
    published = piece.published.append if piece.published is not None else None
    ends = piece.ends.append if piece.ends is not None else None
    crcs = piece.crcs.append if piece.crcs is not None else None
    problems, drops = piece.problems.append, piece.drops
    from_hex = bytes.fromhex
    # The hashes, dates and checksums as read, kept only while the piece is
    # compared with the ledger.
    written: list[str] = []
    dates: list[str | None] = []
    checksums = array("q")  # -1: a line found unsound already
    hexes = written.append if ledger is not None else None
    dated = dates.append if ledger is not None else None
    summed = checksums.append if ledger is not None else None
    number = 0
    with path.open("rb", buffering=_READ_BUFFER) as handle:
        offset = 0
        if start:
            handle.seek(start - 1)
            offset = start - 1 + len(handle.readline())
        for raw in handle:
            if stop is not None and offset >= stop:
                break
            number += 1
            fields = read_line(raw)
            if isinstance(fields, str):
                problems(("bad_line", number, fields))
                drops[offset] = "torn"
            else:
                code, revision, sha, before, when, sound = fields
                if not sound:
                    problems(
                        (
                            "content_mismatch",
                            number,
                            f"story {code}: content_sha256 does not match its title, lead and body",
                        )
                    )
                    drops[offset] = "torn"
                if revision != 1 or before is not None:
                    revisions[len(piece.codes)] = (
                        revision,
                        _NO_HASH if before is None else from_hex(before),
                    )
                codes(code)
                offsets(offset)
                numbers(number)
                hashes(from_hex(sha))
                crc = line_crc32(raw) if summed is not None or crcs is not None else 0
                if hexes is not None and dated is not None and summed is not None:
                    hexes(sha)
                    dated(when)
                    summed(crc if sound else -1)
                if published is not None and ends is not None and crcs is not None:
                    published(when)
                    ends(offset + len(raw))
                    crcs(crc)
            offset += len(raw)
    piece.lines = number
    piece.end = offset
    if ledger is not None:
        try:
            piece.unpointed = _unpointed(piece, path.name, written, dates, checksums, ledger)
        except (LedgerDamaged, sqlite3.Error) as exc:
            piece.ledger_error = str(exc)
    return piece


def _unpointed(
    piece: _Piece,
    name: str,
    written: list[str],
    dates: list[str | None],
    checksums: array[int],
    ledger: Path,
) -> list[int]:
    """Positions of the piece's lines that are not exactly where the ledger
    says their code's archived line is (file, offset and hash). A line the
    ledger points at that is not the line written (its CRC-32), or whose
    date is not the ledger's copy of it, is a problem of the piece:
    ``content_sha256`` covers title, lead and body only."""
    where = SQLiteLedger.archived_positions_in(ledger, name, piece.codes).get
    unpointed = []
    for position, (code, offset, sha, when, crc) in enumerate(
        zip(piece.codes, piece.offsets, written, dates, checksums, strict=True)
    ):
        row = where(code)
        if row is None or row[:2] != (offset, sha):
            unpointed.append(position)
        elif row[3] is not None and crc != -1 and row[3] != crc:
            piece.problems.append(
                (
                    "line_changed",
                    piece.numbers[position],
                    f"story {code}: the line is not the one written (its CRC-32 is not the"
                    " ledger's): a byte of it changed; its WARC capture holds the page"
                    " (--repair keeps the line as it is now)",
                )
            )
        elif row[2] != when:
            piece.problems.append(
                (
                    "published_mismatch",
                    piece.numbers[position],
                    f"story {code}: published_at is {when} in the line, {row[2]} in the"
                    " ledger (one of them changed after it was written; --repair takes"
                    " the line's)",
                )
            )
    return unpointed


def _pieces(
    paths: list[Path], whole: bool, keep_published: bool, ledger: Path | None
) -> Iterator[_Task]:
    """The pieces to read, in archive order: whole files, or pieces of about
    ``_CHUNK_BYTES``."""
    for index, path in enumerate(paths):
        starts = [0] if whole else list(range(0, path.stat().st_size, _CHUNK_BYTES)) or [0]
        for start, following in zip(starts, [*starts[1:], None], strict=True):
            yield path, index, start, following, keep_published, ledger


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # the cores this process may run on
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _read_archive(
    directory: Path,
    report: Verification,
    keep_published: bool,
    alongside: Callable[[], object] = lambda: None,
    ledger: Path | None = None,
) -> _Columns:
    """All files' lines as columns, and which of them the ``ledger`` points
    at. Parsing and hashing every line is most of the cost, so a large
    archive is read in pieces by one process per core, while this one runs
    ``alongside``."""
    paths = sorted(directory.glob(ARCHIVE_GLOB))
    columns = _Columns(names=[path.name for path in paths])
    if keep_published:
        columns.published = []
    cores = _usable_cores()
    parallel = cores > 1 and sum(path.stat().st_size for path in paths) >= _PARALLEL_BYTES
    tasks = list(_pieces(paths, not parallel, keep_published, ledger))
    pieces: Iterable[_Piece]
    if parallel and len(tasks) > 1:
        # fork: the workers need nothing but this module, already imported.
        # They read the ledger only through connections they open themselves.
        pool = ProcessPoolExecutor(
            min(cores, len(tasks)), mp_context=multiprocessing.get_context("fork")
        )
        with pool:
            pieces = pool.map(_read_piece, tasks)
            alongside()
            _gather(columns, pieces)
    else:
        alongside()
        _gather(columns, map(_read_piece, tasks))
    report.files += len(paths)
    report.lines = columns.lines
    report.problems.extend(columns.problems)
    columns.problems = []
    return columns


def _gather(columns: _Columns, pieces: Iterable[_Piece]) -> None:
    """Absorb the pieces as they come, in archive order."""
    read: dict[int, int] = {}  # file index -> lines read so far
    for piece in pieces:
        before = read.get(piece.file, 0)
        columns.absorb(piece, before)
        read[piece.file] = before + piece.lines


def _groups(columns: _Columns, order: list[int]) -> dict[int, list[tuple[int, int]]]:
    """The codes that need more than a glance, each with its lines'
    ``(revision, index)`` in revision order, then archive order: codes with
    several lines, and codes with a line that is not a first revision."""
    codes = columns.codes
    in_order = array("q", map(codes.__getitem__, order))
    members: dict[int, set[int]] = {}
    # Positions whose code equals the one before, found without a Python loop.
    for position in compress(count(1), map(eq, islice(in_order, 1, None), in_order)):
        members.setdefault(in_order[position], set()).update((order[position - 1], order[position]))
    del in_order
    for index in columns.revisions:
        members.setdefault(codes[index], set()).add(index)
    return {
        code: sorted((columns.revision(index), index) for index in lines)
        for code, lines in members.items()
    }


def _check_code(
    columns: _Columns, code: int, group: list[tuple[int, int]], report: Verification
) -> int:
    """Report repeats and broken revision chains of one code; return the index
    of its latest revision's line. Exact repeats are marked for the repair."""
    kept: list[tuple[int, int]] = []
    for revision, index in group:
        if kept and kept[-1][0] == revision:
            first = kept[-1][1]
            report.add(
                "duplicate_code",
                columns.where(index),
                f"story {code} revision {revision} already at {columns.where(first)}",
            )
            if columns.sha(index) == columns.sha(first):
                columns.drops.setdefault(columns.file(index), {}).setdefault(
                    columns.offsets[index], "repeat"
                )
            continue
        kept.append((revision, index))
    expected_revision, expected_previous = 1, _NO_HASH
    for revision, index in kept:
        previous = columns.previous(index)
        if revision != expected_revision:
            report.add(
                "revision_gap",
                columns.where(index),
                f"story {code} revision {revision}: revision {expected_revision} is missing",
            )
        elif previous != expected_previous:
            report.add(
                "broken_chain",
                columns.where(index),
                f"story {code} revision {revision}: previous_sha256 is not the content"
                " of the revision before",
            )
        expected_revision, expected_previous = revision + 1, columns.sha(index)
    return kept[-1][1]


def _content_problems(columns: _Columns) -> list[Problem]:
    """No content under two codes. One set of the hashes' first 8 bytes
    shows that every hash differs, as it almost always does; otherwise the
    lines that share a prefix are compared in full, in archive order."""
    prefixes = memoryview(columns.hashes).cast("Q")[::4]
    try:
        if len(set(prefixes)) == len(prefixes):
            return []
        seen: set[int] = set()
        shared: set[int] = set()
        for prefix in prefixes:
            (shared if prefix in seen else seen).add(prefix)
        del seen
        suspects = [index for index, prefix in enumerate(prefixes) if prefix in shared]
    finally:
        prefixes.release()
    problems: list[Problem] = []
    holders: dict[bytes, int] = {}
    for index in suspects:
        code = columns.codes[index]
        holder = holders.setdefault(columns.sha(index), code)
        if holder != code:
            problems.append(
                Problem(
                    "duplicate_content",
                    columns.where(index),
                    f"story {code} has the same content as story {holder}",
                )
            )
    return problems


def _latest_lines(columns: _Columns, report: Verification) -> Iterator[tuple[int, int]]:
    """``(code, index of its latest line)`` in code order, problems reported."""
    codes = columns.codes
    # A stable sort of the indexes by code: a code's lines stay in archive
    # order, and the keys are small numbers, which sort fast.
    order = sorted(range(len(codes)), key=codes.__getitem__)
    groups = _groups(columns, order)
    report.codes = len(order) - sum(len(group) - 1 for group in groups.values())
    for index in order:
        code = codes[index]
        group = groups.get(code)
        if group is None:  # the common case: one line, a first revision
            yield code, index
        elif group:  # the first of its lines in code order: check them all
            latest = _check_code(columns, code, group, report)
            group.clear()
            yield code, latest


def _compare_ledger(
    columns: _Columns,
    latest: Iterator[tuple[int, int]],
    ledger: SQLiteLedger,
    report: Verification,
) -> None:
    """Merge the lines' codes with the ledger's archived codes, both in code order."""
    offsets, hashes, files, names = columns.offsets, columns.hashes, columns.files, columns.names
    rows = ledger.archived_positions()
    row = next(rows, None)
    for code, index in latest:
        while row is not None and row[0] < code:
            report.add(
                "line_missing", f"story {row[0]}", "archived in the ledger, no line in the files"
            )
            row = next(rows, None)
        if row is None or row[0] != code:
            report.problems.append(_disagreement(columns, index, ledger.get(code)))
            continue
        _, sha, file, offset, _ = row
        if (
            offset != offsets[index]
            or file != names[files[index]]
            or sha != hashes[index * 32 : index * 32 + 32].hex()
        ):
            report.add(
                "ledger_mismatch",
                f"story {code}",
                f"ledger points at {file}@{offset}, latest line is {columns.where(index)}",
            )
        row = next(rows, None)
    while row is not None:
        report.add(
            "line_missing", f"story {row[0]}", "archived in the ledger, no line in the files"
        )
        row = next(rows, None)


def _disagreement(columns: _Columns, index: int, current: CodeState | None) -> Problem:
    """How the ledger's row for a code fails its latest line, ``index``."""
    code = columns.codes[index]
    if current is None or current.state is not State.ARCHIVED:
        shown = current.state.value if current else "unknown"
        return Problem(
            "ledger_missing", f"story {code}", f"in {columns.file(index)} but {shown} in ledger"
        )
    return Problem(
        "ledger_mismatch",
        f"story {code}",
        f"ledger points at {current.archive_file}@{current.archive_offset},"
        f" latest line is {columns.where(index)}",
    )


def _compare_pointers(columns: _Columns, ledger: SQLiteLedger, report: Verification) -> bool:
    """Compare the ledger with the files from what the reading found: which
    lines an archived code's row points at (same file, offset and hash).

    A line pointed at needs nothing more. The others are few (older
    revisions, repeats, lines the ledger does not know): their codes are
    checked one by one, with all their lines. If the archived rows outnumber
    the codes that account for them, some row points at no line: return False
    having reported nothing, for the full merge to name them."""
    if columns.ledger_error is not None:
        return False
    codes, unpointed = columns.codes, columns.unpointed
    irregular = {codes[index] for index in unpointed}
    irregular.update(codes[index] for index in columns.revisions)
    groups: dict[int, list[tuple[int, int]]] = {}
    if irregular:
        for index in compress(count(), map(irregular.__contains__, codes)):
            groups.setdefault(codes[index], []).append((columns.revision(index), index))
    # The rows of the codes none of whose lines the ledger points at.
    rows = {
        code: ledger.get(code)
        for code, group in groups.items()
        if all(index in unpointed for _, index in group)
    }
    accounted = len(codes) - len(unpointed)
    accounted += sum(1 for row in rows.values() if row and row.state is State.ARCHIVED)
    if accounted != ledger.counts().get(State.ARCHIVED.value, 0):
        return False
    report.codes = len(codes) - sum(len(group) - 1 for group in groups.values())
    for code in sorted(groups):
        latest = _check_code(columns, code, sorted(groups[code]), report)
        if latest in unpointed:
            current = rows[code] if code in rows else ledger.get(code)
            report.problems.append(_disagreement(columns, latest, current))
    return True


def _compare_sizes(columns: _Columns, ledger: SQLiteLedger, report: Verification) -> None:
    for name, committed in ledger.committed_sizes().items():
        if name not in columns.sizes:
            report.add("file_missing", name, f"ledger committed {committed} bytes, no such file")
        elif columns.sizes[name] != committed:
            report.add(
                "size_mismatch",
                name,
                f"ledger committed {committed} bytes, file has {columns.sizes[name]}",
            )


def verify(directory: Path, ledger: SQLiteLedger | None, damage: str | None = None) -> Verification:
    """Check the files, and the ledger against them. ``ledger`` is None when
    there is none to compare with: ``damage`` then says why (or it is absent)."""
    report = Verification()
    found: list[str] = []

    def check_ledger() -> None:
        # SQLite's own check runs in C, alongside the workers reading the files.
        if ledger is not None and damage is None:
            found.extend(ledger.problems())

    asked = ledger.path if ledger is not None and damage is None else None
    columns = _read_archive(
        directory, report, keep_published=False, alongside=check_ledger, ledger=asked
    )
    content = _content_problems(columns)
    ledger_file = SQLiteLedger.FILENAME
    if found:
        damage = "; ".join(found[:3])
    if ledger is None or damage is not None:
        for _ in _latest_lines(columns, report):
            pass
        if damage is not None:
            report.add("ledger_damaged", ledger_file, f"{damage}; --repair rebuilds it")
        else:
            report.add("ledger_absent", ledger_file, "no ledger; --repair builds it")
    else:
        try:
            if not _compare_pointers(columns, ledger, report):
                _compare_ledger(columns, _latest_lines(columns, report), ledger, report)
            _compare_sizes(columns, ledger, report)
        except LedgerDamaged as exc:
            report.add("ledger_damaged", ledger_file, f"{exc.why}; --repair rebuilds it")
    report.problems.extend(content)
    return report


def verify_directory(directory: Path) -> Verification:
    """:func:`verify` with the directory's own ledger, damaged or absent."""
    path = directory / SQLiteLedger.FILENAME
    if not path.exists():
        return verify(directory, None)
    try:
        ledger = SQLiteLedger(path, read_only=True)
    except LedgerDamaged as exc:
        return verify(directory, None, damage=exc.why)
    try:
        report = verify(directory, ledger)
        if (directory / WARC_DIR).is_dir():
            _verify_captures(directory, ledger, report)
        return report
    finally:
        ledger.close()


def _verify_captures(directory: Path, ledger: SQLiteLedger, report: Verification) -> None:
    """Every WARC record's digests, and every archived code's capture. No
    problem: a code whose capture a repair found lost (it awaits a new one),
    and a code never captured (archived while capture was off)."""
    scan = scan_warc(directory, lost_records(directory))
    awaiting: set[int] = set()

    def archived() -> Iterator[int]:
        for state in ledger.archived():
            if state.detail == CAPTURE_LOST:
                awaiting.add(state.code)
            yield state.code

    uncaptured = scan.uncaptured(archived())
    unexpected = [code for code in uncaptured if code not in awaiting]
    captured_once = ever_captured(ledger, unexpected)
    problems = scan.problems + [uncaptured_problem(c) for c in unexpected if c in captured_once]
    report.awaiting_capture = len(uncaptured) - len(unexpected)
    report.never_captured = len(unexpected) - len(captured_once)
    for problem in problems:
        where, _, message = problem.partition(": ")
        report.add("warc", f"{WARC_DIR}/{where}", message)


def _sound_ledger(directory: Path, done: list[str]) -> SQLiteLedger:
    """The directory's ledger, opened; a damaged one is moved aside (never
    deleted) and an empty one takes its place, to be rebuilt from the files."""
    path = directory / SQLiteLedger.FILENAME
    if not path.exists():
        done.append("there was no ledger: built from the archive files")
        return SQLiteLedger(path)
    try:
        ledger = SQLiteLedger(path)
    except LedgerDamaged as exc:
        why = exc.why
    else:
        found = ledger.problems()
        if not found:
            return ledger
        ledger.close()
        why = "; ".join(found[:3])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = SQLiteLedger.move_aside(path, stamp)
    done.append(
        f"the ledger was damaged ({why}): moved aside to {aside.name} and rebuilt from the"
        " archive files. States other than archived (not_found, failed, blocked, redirected,"
        " duplicate) and the run history were in it only: those codes are asked again"
    )
    return SQLiteLedger(path)


def repair_archive(directory: Path) -> list[str]:
    """Fix what the archive itself can fix; return what was done.

    A damaged ledger is moved aside and rebuilt. Bad lines and lines whose
    content hash does not match are moved to ``torn/``, repeated copies of a
    line to ``torn/`` too (the first kept); nothing is deleted, and each file
    is replaced only by a durable repaired copy. Then every archived state is
    rebuilt from the files: each code at its latest revision, and codes the
    ledger called archived with no line are forgotten, so the next run
    fetches them.
    """
    done: list[str] = []
    remove_stale_copies(directory)
    ledger = _sound_ledger(directory, done)
    try:
        columns = _read_archive(directory, Verification(), keep_published=False)
        for _ in _latest_lines(columns, Verification()):
            pass  # marks the repeats to move aside
        for name, drops in sorted(columns.drops.items()):
            ledger.lower_committed_size(name, min(drops))
            done.extend(
                f"moved {'repeated' if target.endswith('.repeat') else 'bad'} line(s) of {name}"
                f" to {target}"
                for target in rewrite_without(directory / name, drops)
            )
        columns = _read_archive(directory, Verification(), keep_published=True)
        lost = ledger.replace_archived(
            (columns.line(index) for _, index in _latest_lines(columns, Verification())),
            columns.sizes,
        )
        if (directory / WARC_DIR).is_dir():
            done.extend(repair_captures(directory, ledger))
    finally:
        ledger.close()
    if len(lost) > _NAMED_CODES:
        done.append(
            f"{len(lost)} stories had no line (codes {lost[0]}-{lost[-1]}): forgotten,"
            " the next run fetches them"
        )
    else:
        done.extend(
            f"story {code} had no line: forgotten, the next run fetches it" for code in lost
        )
    return done
