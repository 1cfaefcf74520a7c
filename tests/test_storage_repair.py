"""Start-up repair and archive-verify on archives damaged the ways disks and
people damage them: a cut below the committed size, a vanished file, bad
lines in the middle, a changed byte, a broken revision chain."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from crawler.archive import verify as verify_module
from crawler.archive.repair import TORN_DIR, repair
from crawler.archive.verify import repair_archive, verify_directory
from crawler.ledger import SQLiteLedger
from tests.archives import archived_codes, story, write_run
from tests.verifying import assert_ledger_matches_archive


def start_up_repair(directory: Path):  # type: ignore[no-untyped-def]
    ledger = SQLiteLedger.in_directory(directory)
    try:
        return repair(directory, ledger)
    finally:
        ledger.close()


def problem_kinds(directory: Path) -> list[str]:
    return sorted({problem.kind for problem in verify_directory(directory).problems})


def test_a_cut_in_the_middle_of_a_line_is_found_and_the_lines_past_it_refetched(
    archive_dir: Path,
) -> None:
    path = write_run(archive_dir, "run1", [story(code) for code in range(1, 11)])
    lines = path.read_bytes().splitlines(keepends=True)
    kept = b"".join(lines[:5])
    half = lines[5][: len(lines[5]) // 2]
    path.write_bytes(kept + half)  # a reboot lost the page cache past here
    report = start_up_repair(archive_dir)
    assert report.truncated == [path.name]
    assert sorted(report.forgotten) == list(range(6, 11))
    assert path.read_bytes() == kept
    (torn,) = (archive_dir / TORN_DIR).iterdir()
    assert torn.read_bytes() == half
    assert archived_codes(archive_dir) == set(range(1, 6))
    assert_ledger_matches_archive(archive_dir)


def test_a_cut_at_a_line_end_forgets_the_codes_past_it(archive_dir: Path) -> None:
    path = write_run(archive_dir, "run1", [story(code) for code in range(1, 6)])
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:2]))
    report = start_up_repair(archive_dir)
    assert (sorted(report.forgotten), report.torn) == ([3, 4, 5], [])
    assert archived_codes(archive_dir) == {1, 2}


def test_a_missing_archive_file_is_noticed_and_its_codes_forgotten(archive_dir: Path) -> None:
    write_run(archive_dir, "run1", [story(code) for code in range(1, 4)])
    gone = write_run(archive_dir, "run2", [story(code) for code in range(4, 8)])
    gone.unlink()
    report = start_up_repair(archive_dir)
    assert report.missing == [gone.name]
    assert sorted(report.forgotten) == [4, 5, 6, 7]
    assert "ARCHIVE FILE MISSING: " + gone.name in report.describe()
    assert archived_codes(archive_dir) == {1, 2, 3}
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        assert gone.name not in ledger.committed_sizes()
    finally:
        ledger.close()
    assert start_up_repair(archive_dir).clean


def test_good_lines_after_a_bad_one_past_the_committed_size_are_adopted(
    archive_dir: Path,
) -> None:
    path = write_run(archive_dir, "run1", [story(1)])
    committed = path.read_bytes()
    later = write_run(archive_dir / "other", "run1", [story(2), story(3)]).read_bytes()
    second, third = later.splitlines(keepends=True)
    garbage = b'{"story_code": 9, "ti\x00\x00\x00\n'
    # Written before a kill, never committed: a good line, garbage, a good line.
    path.write_bytes(committed + second + garbage + third)
    report = start_up_repair(archive_dir)
    assert report.adopted == 2
    assert path.read_bytes() == committed + second + third
    (torn,) = (archive_dir / TORN_DIR).iterdir()
    assert torn.read_bytes() == garbage
    assert archived_codes(archive_dir) == {1, 2, 3}
    assert_ledger_matches_archive(archive_dir)


def test_equal_sizes_cost_no_read_at_start(archive_dir: Path) -> None:
    """The normal start reads no archive byte: damage that keeps the size is
    archive-verify's to find, not the start-up's."""
    path = write_run(archive_dir, "run1", [story(1), story(2)])
    path.write_bytes(b"x" * path.stat().st_size)
    assert start_up_repair(archive_dir).clean
    assert "bad_line" in problem_kinds(archive_dir)
    repair_archive(archive_dir)
    assert_ledger_matches_archive(archive_dir)


def test_a_changed_byte_in_a_body_is_found_and_repaired(archive_dir: Path) -> None:
    path = write_run(archive_dir, "run1", [story(code) for code in range(1, 4)])
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    changed = lines[1].replace(b"Paragraph 1", b"Paragraph 7")
    path.write_bytes(lines[0] + changed + lines[2])
    report = verify_directory(archive_dir)
    assert [(p.kind, p.where) for p in report.problems] == [("content_mismatch", f"{path.name}:2")]
    done = repair_archive(archive_dir)
    assert any("moved bad line(s)" in action for action in done)
    assert "story 2 had no line: forgotten, the next run fetches it" in done
    assert path.read_bytes() == lines[0] + lines[2]
    (torn,) = (archive_dir / TORN_DIR).iterdir()
    assert torn.read_bytes() == changed
    assert archived_codes(archive_dir) == {1, 3}


def test_a_changed_byte_outside_the_content_is_found(archive_dir: Path) -> None:
    # content_sha256 covers title, lead and body only: a flipped bit in a
    # date, a URL or a source used to pass as clean. The ledger keeps each
    # line's CRC-32.
    path = write_run(archive_dir, "run1", [story(code) for code in range(1, 4)])
    lines = path.read_bytes().splitlines(keepends=True)
    changed = lines[1].replace(b'"url": "http', b'"url": "httq', 1)
    assert changed != lines[1]
    path.write_bytes(lines[0] + changed + lines[2])
    report = verify_directory(archive_dir)
    assert [(p.kind, p.where, p.message) for p in report.problems] == [
        (
            "line_changed",
            f"{path.name}:2",
            "story 2: the line is not the one written (its CRC-32 is not the ledger's): a byte"
            " of it changed; its WARC capture holds the page (--repair keeps the line as it is"
            " now)",
        )
    ]
    repair_archive(archive_dir)
    assert verify_directory(archive_dir).ok
    assert path.read_bytes() == lines[0] + changed + lines[2]  # kept: it is all there is


def test_a_changed_date_in_the_ledger_is_found(archive_dir: Path) -> None:
    path = write_run(archive_dir, "run1", [story(code) for code in range(1, 4)])
    written = json.loads(path.read_bytes().splitlines()[1])["published_at"]
    flipped = written.replace("20", "30", 1)  # 2024 -> 3024: one bit of one digit
    with closing(sqlite3.connect(archive_dir / SQLiteLedger.FILENAME)) as db, db:
        db.execute("UPDATE codes SET published_at = ? WHERE code = 2", (flipped,))
    report = verify_directory(archive_dir)
    assert [(p.kind, p.where, p.message) for p in report.problems] == [
        (
            "published_mismatch",
            f"{path.name}:2",
            f"story 2: published_at is {written} in the line, {flipped} in the ledger (one of"
            " them changed after it was written; --repair takes the line's)",
        )
    ]
    repair_archive(archive_dir)
    assert verify_directory(archive_dir).ok
    assert_ledger_matches_archive(archive_dir)


def test_lines_an_earlier_version_recorded_are_read_without_a_checksum(
    archive_dir: Path,
) -> None:
    path = write_run(archive_dir, "run1", [story(code) for code in range(1, 4)])
    with closing(sqlite3.connect(archive_dir / SQLiteLedger.FILENAME)) as db, db:
        db.execute("ALTER TABLE codes DROP COLUMN line_crc32")  # as 0.2.0 made it
    assert verify_directory(archive_dir).ok  # read-only: nothing to compare with
    SQLiteLedger.in_directory(archive_dir).close()  # opened for writing: upgraded
    assert verify_directory(archive_dir).ok
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + lines[1].replace(b'"url": "h', b'"url": "H') + lines[2])
    assert verify_directory(archive_dir).ok  # no checksum was kept for them
    repair_archive(archive_dir)  # a rebuild keeps them from now on
    path.write_bytes(lines[0] + lines[1] + lines[2])
    assert [p.kind for p in verify_directory(archive_dir).problems] == ["line_changed"]
    repair_archive(archive_dir)


def test_revisions_must_chain(tmp_path: Path) -> None:
    archive_dir = tmp_path / "broken"  # not repairable: the fixture would refuse it
    first = story(1)
    second = story(1, revision=2, previous=first.content_sha256)
    unchained = story(2, revision=2, previous="0" * 64)
    write_run(archive_dir, "run1", [first, story(2)])
    write_run(archive_dir, "run2", [second, unchained, story(3, revision=2)])
    report = verify_directory(archive_dir)
    assert sorted((p.kind, p.message.split(":")[0]) for p in report.problems) == [
        ("broken_chain", "story 2 revision 2"),
        ("revision_gap", "story 3 revision 2"),
    ]
    assert report.codes == 3


def test_verify_reports_every_kind_of_line_problem_with_its_place(archive_dir: Path) -> None:
    path = write_run(archive_dir, "run1", [story(1), story(2)])
    lines = path.read_bytes().splitlines(keepends=True)
    copy = json.loads(lines[1])
    copy["story_code"] = 3  # the content of story 2 under another code
    path.write_bytes(
        lines[0] + lines[1] + b"not json\n" + json.dumps(copy).encode() + b"\n" + lines[0]
    )
    report = verify_directory(archive_dir)
    found = sorted((p.kind, p.where) for p in report.problems)
    assert found == [
        ("bad_line", f"{path.name}:3"),
        ("duplicate_code", f"{path.name}:5"),
        ("duplicate_content", f"{path.name}:4"),
        ("ledger_missing", "story 3"),
        ("size_mismatch", path.name),
    ]
    repair_archive(archive_dir)
    kinds = problem_kinds(archive_dir)
    assert kinds == ["duplicate_content"]  # which code is right is not the repair's to guess
    path.write_bytes(lines[0] + lines[1])
    repair_archive(archive_dir)
    assert_ledger_matches_archive(archive_dir)


def test_a_large_archive_is_read_by_worker_processes_with_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker processes read large archives (here: any archive, as if on two
    cores); they must find exactly what one process finds, in the same places."""
    archive_dir = tmp_path / "archive"
    first = write_run(archive_dir, "run1", [story(code) for code in range(1, 30)])
    second = write_run(archive_dir, "run2", [story(code) for code in range(30, 60)])
    copy = json.loads(first.read_bytes().splitlines()[3])
    copy["story_code"] = 99
    with second.open("ab") as out:
        out.write(b"garbage\n" + json.dumps(copy).encode() + b"\n")
    alone = sorted(map(str, verify_directory(archive_dir).problems))
    monkeypatch.setattr(verify_module, "_PARALLEL_BYTES", 0)
    monkeypatch.setattr(verify_module, "_usable_cores", lambda: 2)
    assert sorted(map(str, verify_directory(archive_dir).problems)) == alone
    assert {problem.split(":")[0] for problem in alone} == {
        "bad_line", "duplicate_content", "ledger_missing", "size_mismatch"
    }  # fmt: skip
