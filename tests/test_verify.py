"""archive-verify at scale: files read in pieces by worker processes, and the
ledger compared through the lines it points at, must find exactly what one
process reading whole files finds, in the same places; every way a ledger
row can disagree with the files is named."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from crawler.archive import verify as verify_module
from crawler.archive.verify import verify_directory
from crawler.ledger import ArchivedLine, SQLiteLedger, State
from tests.archives import story, write_run


def in_pieces(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """Read any archive as a large one on two cores: worker processes, each
    file in pieces of ``size`` bytes (cut through lines)."""
    monkeypatch.setattr(verify_module, "_PARALLEL_BYTES", 0)
    monkeypatch.setattr(verify_module, "_usable_cores", lambda: 2)
    monkeypatch.setattr(verify_module, "_CHUNK_BYTES", size)


def findings(directory: Path) -> tuple[list[str], int, int, int]:
    report = verify_directory(directory)
    return sorted(map(str, report.problems)), report.files, report.lines, report.codes


def test_files_read_in_pieces_give_the_same_findings_in_the_same_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive_dir = tmp_path / "broken"
    first = story(5)
    write_run(archive_dir, "run1", [story(code) for code in range(1, 40)])
    second = write_run(
        archive_dir,
        "run2",
        [
            *(story(code) for code in range(40, 80)),
            story(5, revision=2, previous=first.content_sha256),
            story(6, revision=2, previous="0" * 64),
            story(7, revision=3),
        ],
    )
    lines = second.read_bytes().splitlines(keepends=True)
    copy = json.loads(lines[3])
    copy["story_code"] = 99  # the content of story 43 under another code
    second.write_bytes(
        b"".join(lines[:10]) + b"not json\n" + b"".join(lines[10:]) + lines[2]
        + json.dumps(copy).encode() + b"\n"
    )  # fmt: skip
    alone = findings(archive_dir)
    assert {problem.split(":")[0] for problem in alone[0]} == {
        "bad_line", "broken_chain", "duplicate_code", "duplicate_content", "ledger_mismatch",
        "ledger_missing", "revision_gap", "size_mismatch",
    }  # fmt: skip
    assert f"bad_line: {second.name}:11: not JSON" in alone[0]
    assert (
        f"duplicate_code: {second.name}:45: story 42 revision 1 already at {second.name}:3"
        in (alone[0])
    )
    in_pieces(monkeypatch, 700)
    assert findings(archive_dir) == alone


def test_a_clean_archive_read_in_pieces_is_clean(
    archive_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = story(1)
    write_run(archive_dir, "run1", [first, *(story(code) for code in range(2, 60))])
    write_run(archive_dir, "run2", [story(1, revision=2, previous=first.content_sha256)])
    in_pieces(monkeypatch, 500)
    assert findings(archive_dir) == ([], 2, 60, 59)


def test_a_ledger_pointing_at_an_older_revision_is_a_mismatch(tmp_path: Path) -> None:
    archive_dir = tmp_path / "stale"
    first = story(1)
    old = write_run(archive_dir, "run1", [first, story(2)])
    new = write_run(archive_dir, "run2", [story(1, revision=2, previous=first.content_sha256)])
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        line = len(old.read_bytes().splitlines(keepends=True)[0])
        ledger.record_archived(ArchivedLine(1, first.content_sha256 or "", old.name, 0, line,
                                            first.published_at, 1))  # fmt: skip
    finally:
        ledger.close()
    assert [str(p) for p in verify_directory(archive_dir).problems] == [
        f"ledger_mismatch: story 1: ledger points at {old.name}@0, latest line is {new.name}:1"
    ]


def test_a_story_the_ledger_calls_something_else_is_named_with_that_state(
    tmp_path: Path,
) -> None:
    archive_dir = tmp_path / "forgotten"
    path = write_run(archive_dir, "run1", [story(code) for code in range(1, 4)])
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        ledger.record(2, State.NOT_FOUND, detail="404")
    finally:
        ledger.close()
    assert [str(p) for p in verify_directory(archive_dir).problems] == [
        f"ledger_missing: story 2: in {path.name} but not_found in ledger"
    ]


def test_a_row_pointing_at_another_line_is_a_mismatch(tmp_path: Path) -> None:
    archive_dir = tmp_path / "pointing"
    path = write_run(archive_dir, "run1", [story(code) for code in range(1, 6)])
    third = story(3)
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        ledger.record_archived(
            ArchivedLine(3, third.content_sha256 or "", path.name, 0, 1, third.published_at, 1)
        )
    finally:
        ledger.close()
    assert [str(p) for p in verify_directory(archive_dir).problems] == [
        f"ledger_mismatch: story 3: ledger points at {path.name}@0, latest line is {path.name}:3"
    ]


def test_archived_rows_that_point_at_no_line_are_each_named(tmp_path: Path) -> None:
    archive_dir = tmp_path / "pointing"
    path = write_run(archive_dir, "run1", [story(code) for code in range(1, 6)])
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        ledger.record_archived(ArchivedLine(9, "ab" * 32, path.name, 7, 8, None, 1))
        ledger.record_archived(ArchivedLine(3, "ab" * 32, path.name, 0, 1, None, 1))
    finally:
        ledger.close()
    found = sorted((p.kind, p.where) for p in verify_directory(archive_dir).problems)
    assert found == [("ledger_mismatch", "story 3"), ("line_missing", "story 9")]


def test_a_damaged_ledger_is_named_alone_when_workers_read_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive_dir = tmp_path / "damaged"
    write_run(archive_dir, "run1", [story(code, words=2) for code in range(1, 3001)])
    path = archive_dir / SQLiteLedger.FILENAME
    pages = path.stat().st_size // 4096
    with path.open("r+b") as handle:
        handle.seek((pages // 2) * 4096)
        handle.write(random.Random(7).randbytes(4 * 4096))
    in_pieces(monkeypatch, 64 * 1024)
    assert [p.kind for p in verify_directory(archive_dir).problems] == ["ledger_damaged"]
