"""An archive this process cannot write: a backup mounted read-only (a tmpfs
remounted read-only, so the errors are the kernel's own EROFS) and another
user's archive (owned by nobody; run as root, whom permissions do not stop,
the commands lose the capabilities that override them, so the kernel answers
EACCES as it would to any other user; not as root, the archive is simply
made read-only with chmod).

The reading commands read it without writing a byte, including a ledger
whose last changes are still in its write-ahead log; the commands that
write say they cannot, with exit status 7."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crawler.archive.compact import open_journal, plan, switch_ledger, write_month
from crawler.archive.read import ArchiveReader
from crawler.ledger import SQLiteLedger, State
from tests.archives_reading import EDITED, FIRST, current_records
from tests.crawling import ROOT, SCRAPY, scrapy_command
from tests.test_cron_logs import closed_port_url

pytestmark = pytest.mark.e2e

NOBODY = 65534
# What lets root write where permissions say no.
WITHOUT_OVERRIDES = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]
WAYS = ["mounted read-only", "another user's"]
# A code the killed writer below records, and nothing else knows.
KILLED_WRITE = 999999


@dataclass
class ReadOnlyArchive:
    archive: Path
    out: Path  # where the commands may write what they are asked to
    prefix: list[str]  # how a command runs so that it cannot write the archive

    def scrapy(self, *words: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.prefix, *SCRAPY, *words],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def _set_modes(top: Path, directories: int, files: int) -> None:
    for path in [top, *top.rglob("*")]:
        path.chmod(directories if path.is_dir() else files)


def _mounted(stack: ExitStack, tmp_path: Path, template: Path, prepare: Any) -> ReadOnlyArchive:
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], check=True)
    stack.callback(subprocess.run, ["umount", str(disk)], check=False)
    archive = disk / "archive"
    shutil.copytree(template, archive)
    prepare(archive)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    out = tmp_path / "out"
    out.mkdir()
    return ReadOnlyArchive(archive, out, prefix=[])


def _someone_elses(
    stack: ExitStack, tmp_path: Path, template: Path, prepare: Any
) -> ReadOnlyArchive:
    archive = tmp_path / "archive"
    shutil.copytree(template, archive)
    prepare(archive)
    out = tmp_path / "out"
    out.mkdir()
    if os.geteuid() != 0:
        _set_modes(archive, 0o555, 0o444)
        stack.callback(_set_modes, archive, 0o755, 0o644)
        return ReadOnlyArchive(archive, out, prefix=[])
    for path in [archive, *archive.rglob("*")]:
        os.chown(path, NOBODY, NOBODY)
    return ReadOnlyArchive(archive, out, prefix=WITHOUT_OVERRIDES)


@pytest.fixture(params=WAYS)
def read_only(
    request: pytest.FixtureRequest, template: Path, tmp_path: Path
) -> Iterator[Callable[..., ReadOnlyArchive]]:
    """Makes a copy of the template that cannot be written, after
    ``prepare(copy)`` has done what it needs to it."""
    with ExitStack() as stack:

        def make(prepare: Callable[[Path], None] = lambda _: None) -> ReadOnlyArchive:
            if request.param == WAYS[0]:
                return _mounted(stack, tmp_path, template, prepare)
            return _someone_elses(stack, tmp_path, template, prepare)

        yield make


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def all_lines(directory: Path) -> list[dict[str, Any]]:
    lines = [
        json.loads(line)
        for path in sorted(directory.glob("stories-*.jsonl"))
        for line in path.read_bytes().splitlines()
    ]
    return sorted(lines, key=lambda r: (r["story_code"], r["revision"]))


def ledger_counts(directory: Path) -> dict[str, int]:
    ledger = SQLiteLedger.in_directory(directory)
    try:
        return ledger.counts()
    finally:
        ledger.close()


def test_the_reading_commands_read_an_archive_they_cannot_write(read_only, template) -> None:
    copy = read_only()
    before = snapshot(copy.archive)
    current = [record for _, record in sorted(current_records(copy.archive).items())]
    where = ["--dir", str(copy.archive)]

    status = copy.scrapy("archive-status", "--json", *where)
    assert status.returncode == 0, status.stderr
    counts = ledger_counts(template)
    assert json.loads(status.stdout)["codes"] == sum(counts.values())
    assert {k: v for k, v in json.loads(status.stdout)["states"].items() if v} == counts

    check = copy.scrapy("archive-status", "--check", *where)
    assert not check.stdout.startswith("ARCHIVE UNKNOWN"), check.stdout

    edited = EDITED[0]
    show = copy.scrapy("archive-show", str(edited), "--all-revisions", "--json", *where)
    assert show.returncode == 0, show.stderr
    shown = [json.loads(line) for line in show.stdout.splitlines()]
    assert [r["revision"] for r in shown] == [1, 2]
    assert shown[-1] == current_records(copy.archive)[edited]

    exported = copy.scrapy("archive-export", "-o", str(copy.out / "all.jsonl"), *where)
    assert exported.returncode == 0, exported.stderr
    assert read_jsonl(copy.out / "all.jsonl") == current

    revisions = copy.out / "revisions.jsonl"
    exported = copy.scrapy("archive-export", "--all-revisions", "-o", str(revisions), *where)
    assert exported.returncode == 0, exported.stderr
    assert read_jsonl(revisions) == all_lines(copy.archive)

    source = current[0]["source"]
    by_source = copy.out / "source.jsonl"
    exported = copy.scrapy("archive-export", "--source", source, "-o", str(by_source), *where)
    assert exported.returncode == 0, exported.stderr
    assert read_jsonl(by_source) == [r for r in current if r["source"] == source]

    report = copy.scrapy("archive-report", "-o", str(copy.out / "report.html"), *where)
    assert report.returncode == 0, report.stderr
    assert (copy.out / "report.html").stat().st_size > 1_000_000

    verified = copy.scrapy("archive-verify", *where)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.splitlines()[-1].endswith(": clean")

    assert snapshot(copy.archive) == before


def _write_then_die(directory: Path) -> None:
    """A run killed after a commit: the change is in the ledger's WAL, which
    nothing folded back into the file (no close)."""
    ledger = SQLiteLedger.in_directory(directory)
    ledger.record(KILLED_WRITE, State.NOT_FOUND, detail="HTTP 404")
    os._exit(0)


def killed_after_a_write(directory: Path) -> None:
    # The revision index, kept in the ledger by a command that could write it.
    with ArchiveReader(directory) as reader:
        reader.catch_up()
    child = multiprocessing.get_context("spawn").Process(target=_write_then_die, args=(directory,))
    child.start()
    child.join()
    assert (directory / "ledger.sqlite3-wal").stat().st_size > 0


def test_a_ledger_whose_last_changes_are_in_its_wal_reads_with_them(read_only) -> None:
    copy = read_only(killed_after_a_write)
    assert (copy.archive / "ledger.sqlite3-shm").exists()
    before = snapshot(copy.archive)
    where = ["--dir", str(copy.archive)]

    shown = copy.scrapy("archive-show", str(KILLED_WRITE), *where)
    assert shown.returncode == 1
    assert shown.stdout == (
        f"scrapy archive-show: story {KILLED_WRITE} is not archived"
        " (the ledger has it as not_found)\n"
    )
    revisions = copy.out / "revisions.jsonl"
    exported = copy.scrapy("archive-export", "--all-revisions", "-o", str(revisions), *where)
    assert exported.returncode == 0, exported.stderr
    assert read_jsonl(revisions) == all_lines(copy.archive)
    status = copy.scrapy("archive-status", "--json", *where)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["code_range"][1] == KILLED_WRITE
    assert snapshot(copy.archive) == before


def without_its_shm(directory: Path) -> None:
    killed_after_a_write(directory)
    (directory / "ledger.sqlite3-shm").unlink()


def test_a_wal_without_its_shm_is_refused_rather_than_read_without_it(read_only) -> None:
    copy = read_only(without_its_shm)
    status = copy.scrapy("archive-status", "--dir", str(copy.archive))
    assert status.returncode == 7, status.stdout + status.stderr
    assert status.stdout == ""
    assert status.stderr.startswith(
        f"scrapy archive-status: cannot read the ledger {copy.archive / 'ledger.sqlite3'}:"
        " ledger.sqlite3-wal holds changes that SQLite reads only with its ledger.sqlite3-shm"
    ), status.stderr
    assert len(status.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["archive-verify", "--repair"], "scrapy archive-verify: --repair writes the archive,"
         " which cannot be written here"),
        (["archive-reextract"], "scrapy archive-reextract: re-extraction writes the archive,"
         " which cannot be written here"),
        (["archive-compact"], "scrapy archive-compact: cannot compact "),
    ],
)  # fmt: skip
def test_the_commands_that_write_say_they_cannot(read_only, words, expected) -> None:
    copy = read_only()
    before = snapshot(copy.archive)
    result = copy.scrapy(*words, "--dir", str(copy.archive))
    assert result.returncode == 7, result.stdout + result.stderr
    said = (result.stdout + result.stderr).strip()
    assert said.startswith(expected), said
    assert "Read-only file system" in said or "Permission denied" in said
    assert snapshot(copy.archive) == before


def test_a_crawl_says_it_cannot_write(read_only) -> None:
    copy = read_only()
    before = snapshot(copy.archive)
    result = copy.scrapy(
        "crawl", "stories", "-a", f"codes={FIRST}",
        "-s", f"SITE_URL={closed_port_url()}", "-s", f"ARCHIVE_DIR={copy.archive}",
    )  # fmt: skip
    assert result.returncode == 7, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"scrapy crawl: cannot use archive directory {copy.archive}: "), last
    assert "Read-only file system" in last or "Permission denied" in last
    assert snapshot(copy.archive) == before


def test_a_crawl_where_only_the_directory_can_be_written_stops_before_asking(
    template, tmp_path
) -> None:
    # A copy whose files this user may not write, in a directory it may: the
    # lock can be taken, but the ledger, the run files and the WARC files
    # cannot be written. Found before the first request, in one line.
    archive = tmp_path / "archive"
    shutil.copytree(template, archive)
    _set_modes(archive, 0o555, 0o444)
    archive.chmod(0o777)
    (archive / ".lock").chmod(0o666)
    before = snapshot(archive)
    result = subprocess.run(
        [
            *(WITHOUT_OVERRIDES if os.geteuid() == 0 else []), *SCRAPY,
            "crawl", "stories", "-a", f"codes={FIRST}",
            "-s", f"SITE_URL={closed_port_url()}", "-s", f"ARCHIVE_DIR={archive}",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    _set_modes(archive, 0o755, 0o644)
    assert result.returncode == 7, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        f"scrapy crawl: cannot write the archive in {archive}: ledger.sqlite3, runs, warc"
        " cannot be written by this user"
    )
    assert {name: data for name, data in snapshot(archive).items() if name != ".lock"} == {
        name: data for name, data in before.items() if name != ".lock"
    }


def compaction_killed_after_its_ledger_switch(directory: Path) -> None:
    db = open_journal(directory)
    try:
        committed = dict(db.execute("SELECT name, committed_size FROM archive_files"))
        (month,) = plan(directory, committed)[0]
        write_month(directory, month)
        switch_ledger(db, month)
    finally:
        db.close()


def test_verify_reports_a_compaction_it_cannot_complete(read_only) -> None:
    copy = read_only(compaction_killed_after_its_ledger_switch)
    (target,) = [path.name for path in copy.archive.glob(".stories-*.compacting")]
    before = snapshot(copy.archive)
    where = ["--dir", str(copy.archive)]
    verified = copy.scrapy("archive-verify", *where)
    assert verified.returncode == 1, verified.stdout + verified.stderr
    month = target.removeprefix(".").removesuffix(".compacting")
    assert (
        f"compaction_interrupted: {month}: a compaction into it was interrupted;"
        " archive-verify completes it where the archive can be written"
    ) in verified.stdout.splitlines()
    # Readers find every record all the same, under the temporary name.
    exported = copy.scrapy("archive-export", "-o", str(copy.out / "all.jsonl"), *where)
    assert exported.returncode == 0, exported.stderr
    assert read_jsonl(copy.out / "all.jsonl") == [
        record for _, record in sorted(current_records(copy.archive).items())
    ]
    assert snapshot(copy.archive) == before


def as_an_older_version_left_it(directory: Path) -> None:
    """0.1.0's ledger had no codes_by_instant index."""
    db = sqlite3.connect(directory / SQLiteLedger.FILENAME)
    db.execute("DROP INDEX codes_by_instant")
    db.close()


def test_an_older_ledger_it_cannot_bring_up_to_date_is_refused_in_one_line(read_only) -> None:
    copy = read_only(as_an_older_version_left_it)
    status = copy.scrapy("archive-status", "--dir", str(copy.archive))
    assert status.returncode == 7
    assert status.stderr == (
        f"scrapy archive-status: the ledger {copy.archive / SQLiteLedger.FILENAME} comes from"
        " an older version (it has no codes_by_instant) and cannot be written here: open it"
        " once with write access (any crawl, or archive-verify) to bring it up to date\n"
    )


def test_a_reading_command_brings_an_older_ledger_up_to_date(template, tmp_path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(template, archive)
    as_an_older_version_left_it(archive)
    status = scrapy_command("archive-status", "--json", "--dir", str(archive))
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["newest_story"] is not None
    db = sqlite3.connect(archive / SQLiteLedger.FILENAME)
    try:
        assert db.execute("SELECT 1 FROM sqlite_master WHERE name = 'codes_by_instant'").fetchone()
    finally:
        db.close()
