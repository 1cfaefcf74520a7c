"""``scrapy archive-compact``: run files merged into month files, and nothing
lost or doubled when it is killed at any moment."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crawler.archive.compact import (
    finish_interrupted,
    month_of,
    open_journal,
    plan,
    put_in_place,
    remove_sources,
    switch_ledger,
    write_month,
)
from crawler.archive.lock import RunLock
from crawler.archive.read import ArchiveReader
from crawler.ledger import SQLiteLedger
from tests.archives_reading import (
    EDITED,
    FIRST,
    LAST,
    build_archive,
    copy_archive,
    current_records,
    lines_in_files,
)
from tests.crawling import ROOT, SCRAPY, crawl, scrapy_command
from tests.replica import ReplicaSite, make_story
from tests.verifying import assert_ledger_matches_archive


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("template") / "archive"
    with ReplicaSite() as site:
        build_archive(site, directory)
    as_if_started_a_month_earlier(directory, sorted(directory.glob("stories-*.jsonl"))[0].name)
    yield directory


def month_files(template: Path) -> list[str]:
    """The month files compacting the template gives: the runs' months."""
    months = {month_of(path.name) for path in template.glob("stories-*.jsonl")}
    return sorted(f"stories-{month}.jsonl" for month in months)


def as_if_started_a_month_earlier(directory: Path, name: str) -> None:
    """Rename a run's file (and the ledger's mentions of it) as if the run had
    started a month earlier: real runs all start this month."""
    year, month = int(name[8:12]), int(name[12:14])
    year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    older = f"stories-{year:04d}{month:02d}{name[14:]}"
    (directory / name).rename(directory / older)
    db = sqlite3.connect(directory / SQLiteLedger.FILENAME)
    with db:
        db.execute("UPDATE codes SET archive_file = ? WHERE archive_file = ?", (older, name))
        db.execute("UPDATE archive_files SET name = ? WHERE name = ?", (older, name))
    db.close()


@pytest.fixture
def archive(template: Path, tmp_path: Path) -> Path:
    return copy_archive(template, tmp_path / "archive")


def verify_cli(directory: Path) -> None:
    done = scrapy_command("archive-verify", "--dir", str(directory))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith(": clean")


def compact_cli(directory: Path) -> str:
    done = scrapy_command("archive-compact", "--dir", str(directory))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_run_files_become_one_file_per_month(archive: Path, template: Path) -> None:
    lines = lines_in_files(archive)
    current = current_records(archive)
    runs = sorted(p.name for p in archive.glob("stories-*.jsonl"))
    assert len(runs) == 4

    out = compact_cli(archive)
    assert "4 run file(s) merged into 2 month file(s)" in out
    assert sorted(p.name for p in archive.glob("stories-*")) == month_files(template)
    assert lines_in_files(archive) == lines
    verify_cli(archive)
    with ArchiveReader(archive) as reader:
        assert {code: reader.current(code) for code in current} == current
        assert [r["revision"] for r in reader.revisions(EDITED[0])] == [1, 2]
    assert "nothing to compact" in compact_cli(archive)


def test_month_files_keep_their_order_and_grow_with_later_runs(
    archive: Path, tmp_path: Path
) -> None:
    month = month_files(archive)[-1]
    runs = sorted(p for p in archive.glob("stories-*.jsonl") if month_of(p.name) == month[8:15])
    assert len(runs) == 3
    this_month = b"".join(path.read_bytes() for path in runs)
    compact_cli(archive)
    assert (archive / month).read_bytes() == this_month

    with ReplicaSite() as site:
        site.add_stories(make_story(code) for code in range(LAST + 1, LAST + 11))
        later = crawl("stories", site.url, archive, codes=f"{LAST + 1}-{LAST + 10}")
    assert later.exit_status == 0
    (new_run,) = [p for p in archive.glob("stories-*.jsonl") if month_of(p.name)]
    added = new_run.read_bytes()
    lines = lines_in_files(archive)

    assert "1 run file(s) merged into 1 month file(s)" in compact_cli(archive)
    assert (archive / month).read_bytes() == this_month + added
    assert lines_in_files(archive) == lines
    verify_cli(archive)
    export = tmp_path / "all.jsonl"
    assert (
        scrapy_command("archive-export", "--dir", str(archive), "-o", str(export)).returncode == 0
    )
    assert len(export.read_text("utf-8").splitlines()) == len(current_records(archive))


def test_a_running_run_holds_compaction_off(archive: Path) -> None:
    files = sorted(archive.glob("stories-*.jsonl"))
    with RunLock(archive):
        done = scrapy_command("archive-compact", "--dir", str(archive))
    assert done.returncode == 6
    assert "another run holds the archive lock" in done.stdout
    assert sorted(archive.glob("stories-*.jsonl")) == files


def _stop_after(step: int) -> Callable[[Path], None]:
    """Compaction of the month of three runs, stopped after ``step`` of its steps, as
    a kill between them would leave it (each step ends durably)."""

    def run(directory: Path) -> None:
        db = open_journal(directory)
        try:
            committed = dict(db.execute("SELECT name, committed_size FROM archive_files"))
            month = max(plan(directory, committed)[0], key=lambda m: len(m.sources))
            assert len(month.sources) == 3
            names = [name for name, _ in month.sources]
            steps = [
                lambda: write_month(directory, month),
                lambda: switch_ledger(db, month),
                lambda: put_in_place(directory, month.target),
                lambda: remove_sources(directory, month.target, names[:1]),
                lambda: remove_sources(directory, month.target, names),
            ]
            for do in steps[:step]:
                do()
        finally:
            db.close()

    return run


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_every_intermediate_state_is_consistent(archive: Path, step: int) -> None:
    lines = lines_in_files(archive)
    current = current_records(archive)
    with ArchiveReader(archive) as reader:
        reader.catch_up()  # the revision index moves with the lines
    _stop_after(step)(archive)

    # Readers take no lock: they find every record even mid-compaction.
    with ArchiveReader(archive) as reader:
        assert {code: reader.current(code) for code in current} == current
        assert len(reader.revisions(EDITED[0])) == 2
    verify_cli(archive)  # completes the compaction first, if it got far enough
    assert lines_in_files(archive) == lines
    compact_cli(archive)
    assert lines_in_files(archive) == lines
    verify_cli(archive)


def test_a_run_after_an_interrupted_compaction_adopts_and_forgets_nothing(
    archive: Path,
) -> None:
    lines = lines_in_files(archive)
    _stop_after(2)(archive)  # ledger switched, new file not yet in place
    with ReplicaSite() as site:  # nothing to fetch: every code is settled
        result = crawl("stories", site.url, archive, codes=f"{FIRST}-{LAST}")
    assert result.exit_status == 0
    assert result.stat("archive/repair/adopted") == 0
    assert result.stat("archive/repair/forgotten") == 0
    assert result.stat("archive/codes/requested") == 0
    assert lines_in_files(archive) == lines
    assert_ledger_matches_archive(archive)


def test_killed_at_random_moments_nothing_is_lost_or_doubled(
    template: Path, tmp_path: Path
) -> None:
    lines = lines_in_files(template)
    rng = random.Random(2026)

    def start(directory: Path) -> tuple[subprocess.Popen[str], float]:
        process = subprocess.Popen(
            [*SCRAPY, "archive-compact", "--dir", str(directory)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Compacting")  # the lock is held
        return process, time.monotonic()

    # How long the compaction itself takes here: from taking the lock to its
    # report line (the interpreter's exit after it changes nothing).
    whole, began = start(copy_archive(template, tmp_path / "timed"))
    assert whole.stdout is not None
    assert "merged into 2 month file(s)" in whole.stdout.readline()
    duration = time.monotonic() - began
    whole.communicate(timeout=60)
    assert whole.returncode == 0

    for attempt in range(12):
        directory = copy_archive(template, tmp_path / f"kill{attempt}")
        process, _ = start(directory)
        time.sleep(rng.uniform(0, duration))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)

        verify_cli(directory)
        assert lines_in_files(directory) == lines
        compact_cli(directory)
        assert lines_in_files(directory) == lines
        assert sorted(p.name for p in directory.glob("stories-*")) == month_files(template)
        verify_cli(directory)


def test_finish_interrupted_is_a_no_op_on_a_clean_archive(archive: Path) -> None:
    lines = lines_in_files(archive)
    assert finish_interrupted(archive) == []
    assert lines_in_files(archive) == lines
