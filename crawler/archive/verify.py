"""Checking an archive directory end to end, and repairing it from itself.

Unlike the start-up repair, this reads every line of every file: every line
must be a complete record, no story twice (revisions aside), no content under
two codes, and the ledger must point at exactly the lines the files hold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.archive.repair import TORN_DIR, archived_line, parse_record, repair_file
from crawler.archive.writer import ARCHIVE_GLOB
from crawler.ledger import ArchivedLine, Ledger


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
        }


@dataclass
class _Line:
    file: str
    number: int
    record: ArchivedLine


def _read_archive(directory: Path, report: Verification) -> list[_Line]:
    lines: list[_Line] = []
    for path in sorted(directory.glob(ARCHIVE_GLOB)):
        report.files += 1
        offset = 0
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                report.lines += 1
                record = parse_record(raw)
                if record is None:
                    report.problems.append(
                        Problem("bad_line", f"{path.name}:{number}", "not a complete JSON record")
                    )
                else:
                    lines.append(
                        _Line(
                            path.name,
                            number,
                            archived_line(record, path.name, offset, offset + len(raw)),
                        )
                    )
                offset += len(raw)
    return lines


def _check_lines(lines: list[_Line], report: Verification) -> dict[int, _Line]:
    """Per code, the line of its latest revision; duplicates reported."""
    by_code: dict[int, list[_Line]] = defaultdict(list)
    holders: dict[str, int] = {}
    for line in lines:
        by_code[line.record.code].append(line)
        holder = holders.setdefault(line.record.sha256, line.record.code)
        if holder != line.record.code:
            report.problems.append(
                Problem(
                    "duplicate_content",
                    f"{line.file}:{line.number}",
                    f"story {line.record.code} has the same content as story {holder}",
                )
            )
    latest: dict[int, _Line] = {}
    for code, versions in by_code.items():
        seen: dict[int, _Line] = {}
        for line in versions:
            if line.record.revision in seen:
                first = seen[line.record.revision]
                report.problems.append(
                    Problem(
                        "duplicate_code",
                        f"{line.file}:{line.number}",
                        f"story {code} revision {line.record.revision} already at "
                        f"{first.file}:{first.number}",
                    )
                )
            else:
                seen[line.record.revision] = line
        latest[code] = seen[max(seen)]
    report.codes = len(latest)
    return latest


def _check_ledger(
    directory: Path, ledger: Ledger, latest: dict[int, _Line], report: Verification
) -> None:
    archived = {state.code: state for state in ledger.archived()}
    for code, line in latest.items():
        state = archived.get(code)
        if state is None:
            current = ledger.get(code)
            shown = current.state.value if current else "unknown"
            report.problems.append(
                Problem("ledger_missing", f"story {code}", f"in {line.file} but {shown} in ledger")
            )
        elif (state.archive_file, state.archive_offset, state.sha256) != (
            line.record.archive_file,
            line.record.offset,
            line.record.sha256,
        ):
            report.problems.append(
                Problem(
                    "ledger_mismatch",
                    f"story {code}",
                    f"ledger points at {state.archive_file}@{state.archive_offset}, "
                    f"latest line is {line.file}:{line.number}",
                )
            )
    for code in archived.keys() - latest.keys():
        report.problems.append(
            Problem("line_missing", f"story {code}", "archived in the ledger, no line in the files")
        )
    sizes = {path.name: path.stat().st_size for path in directory.glob(ARCHIVE_GLOB)}
    for name, committed in ledger.committed_sizes().items():
        if sizes.get(name, 0) != committed:
            report.problems.append(
                Problem(
                    "size_mismatch",
                    name,
                    f"ledger committed {committed} bytes, file has {sizes.get(name, 0)}",
                )
            )


def verify(directory: Path, ledger: Ledger) -> Verification:
    report = Verification()
    latest = _check_lines(_read_archive(directory, report), report)
    _check_ledger(directory, ledger, latest, report)
    return report


def repair_archive(directory: Path, ledger: Ledger) -> list[str]:
    """Fix what the archive itself can fix; return what was done.

    Bad lines are moved aside to ``torn/`` (never deleted); repeated copies of
    a line are moved aside too, the first kept; then the ledger is rebuilt
    from the files: each code archived at its latest revision, and codes the
    ledger called archived with no line are forgotten, so the next run
    fetches them.
    """
    done: list[str] = []
    for path in sorted(directory.glob(ARCHIVE_GLOB)):
        _, torn, _ = repair_file(path, 0)
        done.extend(f"moved a bad line of {path.name} to {target}" for target in torn)
    done.extend(_move_repeats(directory))
    report = Verification()
    latest = _check_lines(_read_archive(directory, report), report)
    sizes = {path.name: path.stat().st_size for path in directory.glob(ARCHIVE_GLOB)}
    lost = ledger.replace_archived([line.record for line in latest.values()], sizes)
    done.extend(f"story {code} had no line: forgotten, the next run fetches it" for code in lost)
    return done


def _move_repeats(directory: Path) -> list[str]:
    """Exact repeats of a record (same code, revision and content) beyond the
    first are moved aside: each story stays once."""
    done: list[str] = []
    seen: set[tuple[int, int, str]] = set()
    for path in sorted(directory.glob(ARCHIVE_GLOB)):
        keep: list[bytes] = []
        moved: list[bytes] = []
        with path.open("rb") as handle:
            for raw in handle:
                record = parse_record(raw)
                if record is None:
                    keep.append(raw)
                    continue
                key = (record["story_code"], record.get("revision") or 1, record["content_sha256"])
                (moved if key in seen else keep).append(raw)
                seen.add(key)
        if moved:
            torn_dir = directory / TORN_DIR
            torn_dir.mkdir(exist_ok=True)
            target = torn_dir / f"{path.name}.repeats"
            with target.open("ab") as out:
                out.writelines(moved)
            partial = path.with_suffix(".jsonl.partial")
            partial.write_bytes(b"".join(keep))
            partial.replace(path)
            done.append(f"moved {len(moved)} repeated line(s) of {path.name} to {target.name}")
    return done
