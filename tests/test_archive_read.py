"""Reading the archive back: ``scrapy archive-show`` and ``scrapy archive-export``
against the records real crawls wrote."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from crawler.archive.lock import RunLock
from crawler.archive.read import ArchiveReader
from crawler.ledger import SQLiteLedger
from tests.archives_reading import (
    EDITED,
    FIRST,
    NOT_FOUND,
    REDIRECTED,
    copy_archive,
    current_records,
)
from tests.crawling import ROOT, SCRAPY, scrapy_command
from tests.verifying import assert_ledger_matches_archive


@pytest.fixture
def archive(template: Path, tmp_path: Path) -> Iterator[Path]:
    directory = copy_archive(template, tmp_path / "archive")
    yield directory
    assert_ledger_matches_archive(directory)


def all_lines(directory: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(directory.glob("stories-*.jsonl"))
        for line in path.read_bytes().splitlines()
    ]


def test_every_archived_story_reads_back_as_its_latest_line(archive: Path) -> None:
    expected = current_records(archive)
    assert len(expected) > 70
    with ArchiveReader(archive) as reader:
        assert {code: reader.current(code) for code in expected} == expected


def test_show_prints_the_current_revision(archive: Path) -> None:
    code = EDITED[0]
    current = current_records(archive)[code]
    shown = scrapy_command("archive-show", str(code), "--dir", str(archive))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == f"Story {code}, revision 2 of 2 (current)"
    assert lines[1] == current["title"]
    assert f"  published  {current['published_at']}" in lines
    assert f"  url        {current['url']}" in lines
    assert shown.stdout.rstrip("\n").endswith(current["body"])

    as_json = scrapy_command("archive-show", str(code), "--json", "--dir", str(archive))
    assert [json.loads(line) for line in as_json.stdout.splitlines()] == [current]


def test_show_all_revisions_prints_each_line_written_oldest_first(archive: Path) -> None:
    code = EDITED[1]
    written = [record for record in all_lines(archive) if record["story_code"] == code]
    assert [r["revision"] for r in written] == [1, 2]
    shown = scrapy_command(
        "archive-show", str(code), "--all-revisions", "--json", "--dir", str(archive)
    )
    assert shown.returncode == 0, shown.stderr
    assert [json.loads(line) for line in shown.stdout.splitlines()] == written
    assert written[1]["previous_sha256"] == written[0]["content_sha256"]

    human = scrapy_command("archive-show", str(code), "--all-revisions", "--dir", str(archive))
    headings = [line for line in human.stdout.splitlines() if line.startswith("Story ")]
    assert headings == [
        f"Story {code}, revision 1 of 2",
        f"Story {code}, revision 2 of 2 (current)",
    ]


def test_all_revisions_read_while_a_run_writes_the_ledger(archive: Path) -> None:
    # A crawl holds the lock, and its ledger's write lock between fsync
    # ticks: the revision index is then built for the command alone.
    code = EDITED[1]
    writer = sqlite3.connect(archive / SQLiteLedger.FILENAME, isolation_level=None)
    try:
        with RunLock(archive):
            writer.execute("BEGIN IMMEDIATE")
            shown = scrapy_command(
                "archive-show", str(code), "--all-revisions", "--json", "--dir", str(archive)
            )
            writer.execute("ROLLBACK")
    finally:
        writer.close()
    assert shown.returncode == 0, shown.stderr
    assert [json.loads(line)["revision"] for line in shown.stdout.splitlines()] == [1, 2]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (NOT_FOUND[0], f"story {NOT_FOUND[0]} is not archived (the ledger has it as not_found)"),
        (REDIRECTED, f"story {REDIRECTED} is not archived (the ledger has it as redirected)"),
        (7, "story 7 is not archived (never asked for)"),
    ],
)
def test_show_of_a_story_not_archived_is_one_line_and_exit_1(
    archive: Path, code: int, message: str
) -> None:
    shown = scrapy_command("archive-show", str(code), "--dir", str(archive))
    assert shown.returncode == 1
    assert shown.stdout == f"scrapy archive-show: {message}\n"


def test_show_refuses_what_is_not_a_code(archive: Path) -> None:
    shown = scrapy_command("archive-show", "40x", "--dir", str(archive))
    assert shown.returncode == 2
    assert "'40x' is not a story code" in shown.stderr


def export(archive: Path, target: Path, *options: str) -> None:
    done = scrapy_command("archive-export", "--dir", str(archive), *options, "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("exported ")


def sorted_current(archive: Path) -> list[dict[str, Any]]:
    return [record for _, record in sorted(current_records(archive).items())]


def test_export_jsonl_and_json_hold_exactly_the_current_records(
    archive: Path, tmp_path: Path
) -> None:
    expected = sorted_current(archive)
    export(archive, tmp_path / "all.jsonl")
    export(archive, tmp_path / "all.json")
    lines = (tmp_path / "all.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == expected
    assert json.loads((tmp_path / "all.json").read_text("utf-8")) == expected


def test_export_csv_and_xml_carry_every_field(archive: Path, tmp_path: Path) -> None:
    expected = sorted_current(archive)
    export(archive, tmp_path / "all.csv")
    with (tmp_path / "all.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["story_code"]) for row in rows] == [r["story_code"] for r in expected]
    for row, record in zip(rows, expected, strict=True):
        assert row["title"] == record["title"]
        assert row["body"] == record["body"]
        assert row["tags"] == ",".join(record["tags"])
        assert row["content_sha256"] == record["content_sha256"]

    export(archive, tmp_path / "all.xml")
    items = etree.parse(str(tmp_path / "all.xml")).getroot().findall("item")
    assert [int(item.findtext("story_code")) for item in items] == [
        r["story_code"] for r in expected
    ]
    assert [item.findtext("title") for item in items] == [r["title"] for r in expected]
    assert [[v.text for v in item.find("tags")] for item in items] == [r["tags"] for r in expected]


def test_export_selects_by_codes_dates_and_source(archive: Path, tmp_path: Path) -> None:
    current = sorted_current(archive)
    export(archive, tmp_path / "codes.jsonl", "--codes", f"{FIRST}-{FIRST + 9},{FIRST + 40}")
    wanted = set(range(FIRST, FIRST + 10)) | {FIRST + 40}
    assert read_jsonl(tmp_path / "codes.jsonl") == [r for r in current if r["story_code"] in wanted]

    days = sorted(r["published_at"][:10] for r in current)
    since, until = days[10], days[40]
    export(archive, tmp_path / "dates.jsonl", "--since", since, "--until", until)
    chosen = [r for r in current if since <= r["published_at"][:10] <= until]
    assert len(chosen) >= 31
    assert read_jsonl(tmp_path / "dates.jsonl") == chosen

    source = current[0]["source"]
    export(archive, tmp_path / "source.jsonl", "--source", source)
    assert read_jsonl(tmp_path / "source.jsonl") == [r for r in current if r["source"] == source]


def test_export_all_revisions_adds_the_older_lines(archive: Path, tmp_path: Path) -> None:
    export(archive, tmp_path / "revisions.jsonl", "--all-revisions")
    lines = all_lines(archive)
    expected = sorted(lines, key=lambda r: (r["story_code"], r["revision"]))
    assert read_jsonl(tmp_path / "revisions.jsonl") == expected
    assert len(expected) == len(current_records(archive)) + len(EDITED)


def test_export_to_a_pipe_whose_reader_went_away_ends_quietly(archive: Path) -> None:
    # As `archive-export -o - | head -1`, with the reader gone before the first write.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [*SCRAPY, "archive-export", "--dir", str(archive), "-o", "-"],
            cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (128 + signal.SIGPIPE, "")


def test_export_refuses_bad_dates_and_unknown_formats(archive: Path, tmp_path: Path) -> None:
    bad_date = scrapy_command(
        "archive-export", "--dir", str(archive), "--since", "May 1", "-o", str(tmp_path / "x.jl")
    )
    assert bad_date.returncode == 2
    assert "--since: 'May 1' is not a date (YYYY-MM-DD)" in bad_date.stderr
    bad_format = scrapy_command("archive-export", "--dir", str(archive), "-o", "x.pdf")
    assert bad_format.returncode == 2
    assert "Unrecognized output format 'pdf'" in bad_format.stderr
    assert not (tmp_path / "x.jl").exists()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_a_line_missing_from_its_file_is_reported_not_invented(
    template: Path, tmp_path: Path
) -> None:
    damaged = copy_archive(template, tmp_path / "damaged")
    # The last line of a file that holds its story's current revision.
    ledger = SQLiteLedger.in_directory(damaged)
    try:
        for last in sorted(damaged.glob("stories-*.jsonl"), reverse=True):
            code = json.loads(last.read_bytes().splitlines()[-1])["story_code"]
            if ledger.get(code).archive_file == last.name:
                break
    finally:
        ledger.close()
    with last.open("r+b") as handle:  # a lost tail, as after a reboot
        handle.truncate(last.stat().st_size - 10)
    shown = scrapy_command("archive-show", str(code), "--dir", str(damaged))
    assert shown.returncode == 1
    assert "that line is not there (run scrapy archive-verify)" in shown.stderr
    exported = scrapy_command(
        "archive-export", "--dir", str(damaged), "--all-revisions", "-o", str(tmp_path / "x.jl")
    )
    assert exported.returncode == 1
    assert "run scrapy archive-verify" in exported.stderr
    assert not (tmp_path / "x.jl").exists()
