"""Checking an archive directory end to end, and repairing it from itself.

Unlike the start-up repair, this reads every line of every file. Every line
must be a complete record whose ``content_sha256`` matches its own fields; no
story twice (revisions aside); each revision's ``previous_sha256`` is the
content of the revision before; no content under two codes; the ledger must
be a sound SQLite file (``PRAGMA integrity_check``) that points at exactly the
lines the files hold.

It scales to millions of lines in bounded memory: the files are read as a
stream into a few flat columns (arrays of numbers, one bytes buffer for the
hashes), sorted by a packed integer key, and compared with the ledger's
archived codes read through an ordered cursor. No object is kept per line.
"""

from __future__ import annotations

import multiprocessing
import os
from array import array
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler.archive.repair import (
    read_line,
    remove_stale_copies,
    rewrite_without,
)
from crawler.archive.writer import ARCHIVE_GLOB
from crawler.ledger import ArchivedLine, LedgerDamaged, SQLiteLedger
from crawler.ledger.rules import CAPTURE_LOST
from crawler.warc.index import lost_records
from crawler.warc.repair import repair_captures
from crawler.warc.verify import scan_warc, uncaptured_problem
from crawler.warc.writer import WARC_DIR

_NO_HASH = bytes(32)
# Below this many bytes of archive, starting worker processes costs more than
# it saves.
_PARALLEL_BYTES = 64 * 2**20
_READ_BUFFER = 2**20
_LOW32 = 0xFFFFFFFF
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
        }

    def add(self, kind: str, where: str, message: str) -> None:
        self.problems.append(Problem(kind, where, message))


@dataclass
class _Columns:
    """Every record line of the archive, one entry per line in each column."""

    names: list[str] = field(default_factory=list)  # file index -> file name
    sizes: dict[str, int] = field(default_factory=dict)
    codes: array[int] = field(default_factory=lambda: array("q"))
    revisions: array[int] = field(default_factory=lambda: array("q"))
    files: array[int] = field(default_factory=lambda: array("I"))
    offsets: array[int] = field(default_factory=lambda: array("q"))
    ends: array[int] = field(default_factory=lambda: array("q"))  # only when rebuilding
    numbers: array[int] = field(default_factory=lambda: array("q"))
    hashes: bytearray = field(default_factory=bytearray)  # 32 bytes per line
    # previous_sha256 by line index, for the few lines that have one.
    previous: dict[int, bytes] = field(default_factory=dict)
    published: list[str | None] | None = None  # only when rebuilding the ledger
    # Per file, offset -> kind of each line a repair takes out.
    drops: dict[str, dict[int, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    lines: int = 0

    def absorb(self, other: _Columns) -> None:
        """Append another file's columns (read with its own file index)."""
        base = len(self.codes)
        for mine, theirs in (
            (self.codes, other.codes),
            (self.revisions, other.revisions),
            (self.files, other.files),
            (self.offsets, other.offsets),
            (self.ends, other.ends),
            (self.numbers, other.numbers),
        ):
            mine.extend(theirs)
        self.hashes += other.hashes
        self.previous.update((base + index, sha) for index, sha in other.previous.items())
        if self.published is not None and other.published is not None:
            self.published.extend(other.published)
        self.names.extend(other.names)
        self.sizes.update(other.sizes)
        self.drops.update(other.drops)
        self.problems.extend(other.problems)
        self.lines += other.lines

    def sha(self, index: int) -> bytes:
        return bytes(self.hashes[index * 32 : index * 32 + 32])

    def where(self, index: int) -> str:
        return f"{self.names[self.files[index]]}:{self.numbers[index]}"

    def line(self, index: int) -> ArchivedLine:
        assert self.published is not None
        return ArchivedLine(
            code=self.codes[index],
            sha256=self.sha(index).hex(),
            archive_file=self.names[self.files[index]],
            offset=self.offsets[index],
            end=self.ends[index],
            published_at=self.published[index],
            revision=self.revisions[index],
        )


def _read_file(path: Path, file_index: int, keep_published: bool) -> _Columns:
    """One file's lines as columns (its problems in ``problems``)."""
    columns = _Columns(published=[] if keep_published else None)
    # Bound methods, fetched once: this loop runs once per line of the archive.
    codes, revisions, files = columns.codes.append, columns.revisions.append, columns.files.append
    offsets, numbers = columns.offsets.append, columns.numbers.append
    hashes, previous = columns.hashes.extend, columns.previous
    published = columns.published.append if columns.published is not None else None
    ends = columns.ends.append if keep_published else None
    problems = columns.problems.append
    from_hex = bytes.fromhex
    name = path.name
    columns.names.append(name)
    drops: dict[int, str] = {}
    offset = 0
    number = 0
    with path.open("rb", buffering=_READ_BUFFER) as handle:
        for raw in handle:
            number += 1
            end = offset + len(raw)
            fields = read_line(raw)
            if isinstance(fields, str):
                problems(Problem("bad_line", f"{name}:{number}", fields))
                drops[offset] = "torn"
            else:
                code, revision, sha, before, when, sound = fields
                if not sound:
                    problems(
                        Problem(
                            "content_mismatch",
                            f"{name}:{number}",
                            f"story {code}: content_sha256 does not match its title, lead and body",
                        )
                    )
                    drops[offset] = "torn"
                codes(code)
                revisions(revision)
                files(file_index)
                offsets(offset)
                numbers(number)
                hashes(from_hex(sha))
                if before:
                    previous[len(columns.codes) - 1] = from_hex(before)
                if published is not None and ends is not None:
                    published(when)
                    ends(end)
            offset = end
    columns.lines = number
    columns.sizes[name] = offset
    if drops:
        columns.drops[name] = drops
    return columns


def _read_file_task(task: tuple[Path, int, bool]) -> _Columns:
    return _read_file(*task)


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # the cores this process may run on
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _read_archive(
    directory: Path,
    report: Verification,
    keep_published: bool,
    alongside: Callable[[], object] = lambda: None,
) -> _Columns:
    """All files' lines as columns. Parsing and hashing every line is the
    whole cost, so a large archive's files are read by one process per core,
    while this one runs ``alongside``."""
    paths = sorted(directory.glob(ARCHIVE_GLOB))
    tasks = [(path, index, keep_published) for index, path in enumerate(paths)]
    workers = min(_usable_cores(), len(paths))
    parts: Iterable[_Columns]
    if workers > 1 and sum(path.stat().st_size for path in paths) >= _PARALLEL_BYTES:
        # fork: the workers need nothing but this module, already imported.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        with pool:
            results = pool.map(_read_file_task, tasks)
            alongside()
            parts = list(results)
    else:
        alongside()
        parts = (_read_file_task(task) for task in tasks)
    columns = _Columns(published=[] if keep_published else None)
    for part in parts:
        columns.absorb(part)
        report.files += 1
    report.lines = columns.lines
    report.problems.extend(columns.problems)
    columns.problems = []
    return columns


def _by_code(columns: _Columns) -> Iterator[tuple[int, list[tuple[int, int]]]]:
    """Each code with its lines' ``(revision, index)``, in code order; a
    code's lines in revision order, then archive order (files are named by
    run, oldest first)."""
    keys = sorted(
        (code << 64) | (revision << 32) | index
        for index, (code, revision) in enumerate(zip(columns.codes, columns.revisions, strict=True))
    )
    group: list[tuple[int, int]] = []
    current: int | None = None
    for key in keys:
        code = key >> 64
        if code != current:
            if current is not None:
                yield current, group
            current, group = code, []
        group.append(((key >> 32) & _LOW32, key & _LOW32))
    if current is not None:
        yield current, group


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
                columns.drops.setdefault(columns.names[columns.files[index]], {}).setdefault(
                    columns.offsets[index], "repeat"
                )
            continue
        kept.append((revision, index))
    expected_revision, expected_previous = 1, _NO_HASH
    for revision, index in kept:
        previous = columns.previous.get(index, _NO_HASH)
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
    """No content under two codes: lines sorted by the first 8 bytes of their
    hash, so equal hashes are neighbours."""
    problems: list[Problem] = []
    prefixes = memoryview(columns.hashes).cast("Q")[::4]
    keys = sorted((prefix << 32) | index for index, prefix in enumerate(prefixes))
    prefixes.release()
    run: list[int] = []
    for position, key in enumerate(keys):
        run.append(key & _LOW32)
        following = keys[position + 1] >> 32 if position + 1 < len(keys) else None
        if following == key >> 32:
            continue
        if len(run) > 1:
            holders: dict[bytes, int] = {}
            for index in sorted(run):
                holder = holders.setdefault(columns.sha(index), columns.codes[index])
                if holder != columns.codes[index]:
                    problems.append(
                        Problem(
                            "duplicate_content",
                            columns.where(index),
                            f"story {columns.codes[index]} has the same content as story {holder}",
                        )
                    )
        run = []
    return problems


def _forked(work: Callable[[], list[Problem]]) -> Callable[[], list[Problem]]:
    """Start ``work`` in a forked process, which shares this one's memory
    (the columns are not copied); return the call that waits for its result."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=lambda: sender.send(work()), daemon=True)
    process.start()
    sender.close()

    def result() -> list[Problem]:
        try:
            found: list[Problem] = receiver.recv()
        finally:
            receiver.close()
            process.join()
        return found

    return result


def _latest_lines(columns: _Columns, report: Verification) -> Iterator[tuple[int, int]]:
    """``(code, index of its latest line)`` in code order, problems reported."""
    count = 0
    previous = columns.previous
    for code, group in _by_code(columns):
        count += 1
        if len(group) == 1:
            revision, index = group[0]
            # The common case, a single first revision, checked inline.
            if revision == 1 and index not in previous:
                yield code, index
                continue
        yield code, _check_code(columns, code, group, report)
    report.codes = count


def _compare_ledger(
    columns: _Columns,
    latest: Iterator[tuple[int, int]],
    ledger: SQLiteLedger,
    report: Verification,
) -> None:
    """Merge the lines' codes with the ledger's archived codes, both in code order."""
    rows = ledger.archived_positions()
    row = next(rows, None)
    for code, index in latest:
        while row is not None and row[0] < code:
            report.add(
                "line_missing", f"story {row[0]}", "archived in the ledger, no line in the files"
            )
            row = next(rows, None)
        if row is None or row[0] != code:
            current = ledger.get(code)
            shown = current.state.value if current else "unknown"
            report.add(
                "ledger_missing",
                f"story {code}",
                f"in {columns.names[columns.files[index]]} but {shown} in ledger",
            )
            continue
        _, sha, file, offset, _ = row
        if (file, offset, sha) != (
            columns.names[columns.files[index]],
            columns.offsets[index],
            columns.sha(index).hex(),
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

    columns = _read_archive(directory, report, keep_published=False, alongside=check_ledger)
    # On a large archive the content check runs in a second process while
    # this one compares the ledger with the files.
    if sum(columns.sizes.values()) >= _PARALLEL_BYTES and _usable_cores() > 1:
        content = _forked(lambda: _content_problems(columns))
    else:
        found_content = _content_problems(columns)
        content = lambda: found_content  # noqa: E731
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
            _compare_ledger(columns, _latest_lines(columns, report), ledger, report)
        except LedgerDamaged as exc:
            report.add("ledger_damaged", ledger_file, f"{exc.why}; --repair rebuilds it")
    report.problems.extend(content())
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
    """Every WARC record's digests, and every archived code's capture: a code
    whose capture a repair found lost awaits a new one, which is no problem."""
    scan = scan_warc(directory, lost_records(directory))
    awaiting: set[int] = set()

    def archived() -> Iterator[int]:
        for state in ledger.archived():
            if state.detail == CAPTURE_LOST:
                awaiting.add(state.code)
            yield state.code

    uncaptured = scan.uncaptured(archived())
    problems = scan.problems + [uncaptured_problem(c) for c in uncaptured if c not in awaiting]
    report.awaiting_capture = len(awaiting.intersection(uncaptured))
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
