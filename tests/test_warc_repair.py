"""Nothing lost in WARC either: a torn gzip member at a file's end is moved
aside at start-up, the codes whose capture went with it are forgotten so they
are fetched again, and SIGKILL at random moments leaves files that warcio
checks and an archive whose every code has its capture."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from crawler.ledger import ArchivedLine, SQLiteLedger, State
from crawler.ledger.rules import CAPTURE_LOST, AskPolicy, due
from crawler.warc.index import WarcIndex
from crawler.warc.records import BUILDER
from crawler.warc.repair import repair_warc, whole_members_end
from crawler.warc.verify import verify_warc
from crawler.warc.writer import WarcFileWriter, serialize
from tests.crawling import crawl, scrapy_command
from tests.killloop import run_kill_loop
from tests.replica import make_story

WARCIO = [sys.executable, "-m", "warcio.cli"]


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WARCIO, "check", str(path)], capture_output=True, text=True)


def metadata(code: int) -> object:
    body = f"story-code: {code}\r\noutcome: archived\r\n".encode()
    return BUILDER.create_warc_record(
        f"http://127.0.0.1/en/news/{code}",
        "metadata",
        payload=io.BytesIO(body),
        length=len(body),
        warc_content_type="application/warc-fields",
    )


def write_captures(
    ledger: SQLiteLedger, archive_dir: Path, codes: list[int]
) -> tuple[WarcFileWriter, WarcIndex, dict[int, int]]:
    """Captures as the middleware writes them: the records, then their index
    row (in the ledger's file, as a crawl keeps it); also where each code's
    capture ends."""
    index = WarcIndex.on_ledger(ledger)
    writer = WarcFileWriter(
        archive_dir / "warc", "run1", max_bytes=1 << 30, fsync_interval=0, level=1
    )
    ends = {}
    for code in codes:
        written = writer.write([metadata(code)])
        index.add_capture(code, "run1", "archived", written.file, written.end)
        ends[code] = written.end
    return writer, index, ends


def test_a_torn_member_is_moved_aside_and_the_file_checks_again(tmp_path) -> None:
    ledger = SQLiteLedger.in_directory(tmp_path)
    writer, index, _ = write_captures(ledger, tmp_path, [1, 2, 3])
    assert writer.path is not None
    whole = writer.path.stat().st_size
    member = serialize(metadata(4), 1)
    writer.close()
    with writer.path.open("ab") as handle:  # a kill in the middle of write()
        handle.write(member[: len(member) // 2])
    assert whole_members_end(writer.path) == whole

    report = repair_warc(tmp_path, index)
    assert report.torn == [f"torn/{writer.path.name}.{whole}.torn"]
    assert (tmp_path / report.torn[0]).read_bytes() == member[: len(member) // 2]
    assert report.uncaptured == []  # code 4 was never settled: its row came after
    assert writer.path.stat().st_size == whole
    assert warcio_check(writer.path).returncode == 0
    assert repair_warc(tmp_path, index).clean
    index.close()
    ledger.close()


def test_captures_lost_with_a_files_end_are_reported_and_forgotten(tmp_path) -> None:
    ledger = SQLiteLedger.in_directory(tmp_path)
    for code in (1, 2, 3):
        ledger.record(code, State.NOT_FOUND, detail="HTTP 404")
    writer, index, ends = write_captures(ledger, tmp_path, [1, 2, 3])
    assert writer.path is not None
    writer.close()
    # A reboot lost the file's end, from the middle of code 2's member on.
    cut = ends[1] + (ends[2] - ends[1]) // 2
    writer.path.write_bytes(writer.path.read_bytes()[:cut])

    report = repair_warc(tmp_path, index)
    assert report.uncaptured == [2, 3]
    assert ledger.forget_captures(report.uncaptured) == []
    assert ledger.get(1) is not None
    assert ledger.get(2) is None and ledger.get(3) is None  # fetched again next run
    assert warcio_check(writer.path).returncode == 0
    index.close()
    ledger.close()


def test_an_archived_code_keeps_its_record_when_its_capture_is_lost(tmp_path) -> None:
    ledger = SQLiteLedger.in_directory(tmp_path)
    line = ArchivedLine(5, "ab", "stories-x.jsonl", 0, 10, None, 1)
    ledger.record_archived(line)
    assert ledger.forget_captures([5]) == [5]
    kept = ledger.get(5)
    assert kept is not None and kept.state is State.ARCHIVED
    assert (kept.sha256, kept.archive_file, kept.archive_offset) == ("ab", "stories-x.jsonl", 0)
    # Asked again by the next run that covers it, until it is captured again.
    week = AskPolicy(timedelta(days=7))
    assert kept.detail == CAPTURE_LOST and due(kept, datetime.now(UTC), week)
    ledger.captured_again([5])
    again = ledger.get(5)
    assert again is not None and again.detail is None and not due(again, datetime.now(UTC), week)
    ledger.close()


def test_a_code_awaiting_a_new_capture_is_recaptured_only_by_a_later_capture(tmp_path) -> None:
    ledger = SQLiteLedger.in_directory(tmp_path)
    _, index, _ = write_captures(ledger, tmp_path, [1, 2, 3])
    index.await_recapture([1, 2, 3])  # their captures so far do not count
    assert index.recaptured() == []
    index.add_capture(1, "run2", "archived", "w.warc.gz", 10)
    index.add_capture(2, "run2", "failed", "w.warc.gz", 20)  # a timeout: no page, no capture
    index.add_capture(3, "run2", "not_found", "w.warc.gz", 30)  # the site's own answer
    assert index.recaptured() == [1, 3]
    assert index.recaptured() == [1, 3]  # until the ledger has them settled again
    index.no_longer_awaited([1, 3])
    assert index.recaptured() == []
    index.add_capture(2, "run3", "archived", "w.warc.gz", 40)
    assert index.recaptured() == [2]
    index.close()
    ledger.close()


def test_the_next_crawl_repairs_a_torn_tail_at_start(replica, archive_dir) -> None:
    replica.add_stories(make_story(code) for code in range(750000, 750005))
    assert crawl("stories", replica.url, archive_dir, codes="750000-750002").exit_status == 0
    [path] = sorted((archive_dir / "warc").glob("*.warc.gz"))
    size = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(serialize(metadata(750009), 1)[:40])
    result = crawl("stories", replica.url, archive_dir, codes="750000-750004")
    assert result.exit_status == 0
    assert result.stat("archive/warc/repair/torn") == 1
    assert path.stat().st_size == size
    assert (archive_dir / "torn" / f"{path.name}.{size}.torn").exists()
    for each in sorted((archive_dir / "warc").glob("*.warc.gz")):
        assert warcio_check(each).returncode == 0
    assert verify_warc(archive_dir, range(750000, 750005)) == []


def test_sigkill_at_random_moments_leaves_every_code_captured(replica, archive_dir) -> None:
    report = run_kill_loop(replica, archive_dir, first_code=760000, count=1200, kills=3, seed=8)
    print("\n".join(report.lines()))
    assert report.kills == 3
    assert report.final_exit_status == 0
    assert report.lost == [] and report.duplicates == []
    paths = sorted((archive_dir / "warc").glob("*.warc.gz"))
    assert len(paths) >= 2  # a killed run's file, and the last run's
    for path in paths:
        check = warcio_check(path)
        assert check.returncode == 0, check.stdout
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        archived = [state.code for state in ledger.archived()]
    finally:
        ledger.close()
    assert len(archived) == report.stories
    assert verify_warc(archive_dir, archived) == []


LOST = range(770000, 770003)  # captured in the first run's WARC file only
KEPT = range(770003, 770006)
ALL_CODES = "770000-770005"


def an_archive_that_lost_a_warc_file(replica, archive_dir: Path) -> dict[str, bytes]:
    """Three runs, then the first one's WARC file deleted: the stories it
    captured have no capture left, and the refresh's revisits of two of them
    refer to records that went with it. Returns the JSON Lines files."""
    recent = datetime.now(ZoneInfo("Asia/Tehran")) - timedelta(days=1)
    replica.add_stories(make_story(code, published=recent) for code in range(770000, 770006))
    assert crawl("stories", replica.url, archive_dir, codes="770000-770002").exit_status == 0
    assert crawl("stories", replica.url, archive_dir, codes="770003-770005").exit_status == 0
    refresh = crawl("stories", replica.url, archive_dir, codes="770000-770001", refresh="7d")
    assert refresh.stat("archive/warc/revisits") >= 2
    first = sorted((archive_dir / "warc").glob("*.warc.gz"))[0]
    first.unlink()
    return story_files(archive_dir)


def story_files(archive_dir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(archive_dir.glob("stories-*.jsonl"))}


def verify_cli(archive_dir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return scrapy_command("archive-verify", "--dir", str(archive_dir), *options)


def test_a_deleted_warc_file_is_repaired_and_its_stories_captured_again(
    replica, archive_dir
) -> None:
    files = an_archive_that_lost_a_warc_file(replica, archive_dir)
    found = verify_cli(archive_dir)
    assert found.returncode == 1
    for code in LOST:
        assert f"story {code}: archived, but no WARC response record captures it" in found.stdout
    assert "which no file holds" in found.stdout

    repaired = verify_cli(archive_dir, "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert (
        "repaired: 3 archived stories without a WARC capture (codes 770000, 770001, 770002):"
        " the records are kept, and the next crawl that covers them fetches them again to"
        " capture them"
    ) in repaired.stdout.splitlines()
    assert repaired.stdout.splitlines()[-2:] == [
        "3 archived stories await a WARC capture (lost, or never made and queued by"
        " --repair): the next crawl that covers them fetches them",
        "2 file(s), 6 line(s), 6 stories: clean",
    ]
    assert story_files(archive_dir) == files  # the records are kept, byte for byte

    replica.reset_counts()
    recaptured = crawl("stories", replica.url, archive_dir, codes=ALL_CODES)
    assert recaptured.exit_status == 0
    assert [replica.story_requests(code) for code in range(770000, 770006)] == [1, 1, 1, 0, 0, 0]
    assert recaptured.stat("archive/records/unchanged") == 3
    assert story_files(archive_dir) == files
    clean = verify_cli(archive_dir)
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout.splitlines() == ["2 file(s), 6 line(s), 6 stories: clean"]

    # Captured again, they are settled again: the next run asks nothing.
    replica.reset_counts()
    assert crawl("stories", replica.url, archive_dir, codes=ALL_CODES).exit_status == 0
    assert [replica.story_requests(code) for code in range(770000, 770006)] == [0] * 6
    assert verify_cli(archive_dir).returncode == 0


def test_the_next_crawl_captures_again_what_a_deleted_warc_file_held(replica, archive_dir) -> None:
    files = an_archive_that_lost_a_warc_file(replica, archive_dir)
    replica.reset_counts()
    result = crawl("stories", replica.url, archive_dir, codes=ALL_CODES)
    assert result.exit_status == 0
    assert result.stat("archive/warc/repair/uncaptured") == 3
    assert [replica.story_requests(code) for code in range(770000, 770006)] == [1, 1, 1, 0, 0, 0]
    assert story_files(archive_dir) == files
    clean = verify_cli(archive_dir)
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout.splitlines()[-1].endswith(": clean")
    replica.reset_counts()
    assert crawl("stories", replica.url, archive_dir, codes=ALL_CODES).exit_status == 0
    assert [replica.story_requests(code) for code in range(770000, 770006)] == [0] * 6


def test_stories_archived_while_capture_was_off_are_no_problem(replica, archive_dir) -> None:
    replica.add_stories(make_story(code) for code in range(771000, 771004))
    off = {"ARCHIVE_WARC": False}
    assert (
        crawl("stories", replica.url, archive_dir, codes="771000-771001", settings=off).exit_status
        == 0
    )
    assert crawl("stories", replica.url, archive_dir, codes="771000-771003").exit_status == 0

    found = verify_cli(archive_dir)
    assert found.returncode == 0, found.stdout
    assert found.stdout.splitlines() == [
        "2 archived stories were never captured in WARC (archived while ARCHIVE_WARC was off,"
        " or before 0.2.0): nothing was lost; --repair queues them for a fetch that captures"
        " them",
        "2 file(s), 4 line(s), 4 stories: clean",
    ]

    # Asked for, they are fetched again and captured, their records unchanged.
    queued = verify_cli(archive_dir, "--repair")
    assert queued.returncode == 0, queued.stdout
    assert queued.stdout.splitlines()[-2] == (
        "2 archived stories await a WARC capture (lost, or never made and queued by --repair):"
        " the next crawl that covers them fetches them"
    )
    replica.reset_counts()
    again = crawl("stories", replica.url, archive_dir, codes="771000-771003")
    assert again.exit_status == 0
    assert [replica.story_requests(code) for code in range(771000, 771004)] == [1, 1, 0, 0]
    assert again.stat("archive/records/unchanged") == 2
    assert verify_cli(archive_dir).stdout.splitlines() == ["2 file(s), 4 line(s), 4 stories: clean"]


def test_a_warc_file_damaged_in_the_middle_is_cut_and_its_stories_captured_in_full_again(
    replica, archive_dir
) -> None:
    recent = datetime.now(ZoneInfo("Asia/Tehran")) - timedelta(days=1)
    replica.add_stories(make_story(code, published=recent) for code in range(772000, 772060))
    assert crawl("stories", replica.url, archive_dir, codes="772000-772059").exit_status == 0
    # A refresh: every page unchanged, so each capture is a revisit of the first.
    assert (
        crawl("stories", replica.url, archive_dir, codes="772000-772059", refresh="7d").stat(
            "archive/warc/revisits"
        )
        >= 60
    )
    first = sorted((archive_dir / "warc").glob("*.warc.gz"))[0]
    files = story_files(archive_dir)
    data = bytearray(first.read_bytes())
    data[len(data) // 2] ^= 1  # one bit, as a disk flips it
    first.write_bytes(bytes(data))
    assert verify_cli(archive_dir).returncode == 1

    repaired = verify_cli(archive_dir, "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert f"repaired: WARC file {first.name} damaged at byte " in repaired.stdout
    assert list((archive_dir / "torn").glob(f"{first.name}.*.torn"))  # kept, not deleted
    assert warcio_check(first).returncode == 0

    replica.reset_counts()
    again = crawl("stories", replica.url, archive_dir, codes="772000-772059")
    assert again.exit_status == 0
    assert again.stat("archive/warc/responses") >= 1  # full records, not revisits of lost ones
    assert story_files(archive_dir) == files
    clean = verify_cli(archive_dir)
    assert clean.returncode == 0, clean.stdout
    for path in (archive_dir / "warc").glob("*.warc.gz"):
        assert warcio_check(path).returncode == 0
