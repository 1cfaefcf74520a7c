"""``scrapy archive-reextract``: the archive rebuilt from the WARC captures
alone, with no network, and re-extraction after a page object changed."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest

from crawler.extensions.run import new_run_id
from crawler.ledger import SQLiteLedger, State
from crawler.pages.base import StoryPage
from crawler.pages.layouts import load_layouts
from crawler.warc.reextract import Reextraction, ReextractReport
from crawler.warc.verify import verify_warc
from tests.crawling import ROOT, SCRAPY, archive_records, crawl, scrapy_command
from tests.layouts import STORY_LAYOUTS_WITH_REDESIGN
from tests.replica import ReplicaSite, make_story
from tests.test_warc_capture import ANSWERS, every_kind_of_answer
from tests.verifying import assert_ledger_matches_archive


def dead_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def lines(archive_dir: Path) -> list[tuple[int, int, str, str | None]]:
    return sorted(
        (r["story_code"], r["revision"], r["content_sha256"], r["previous_sha256"])
        for r in archive_records(archive_dir)
    )


def states(archive_dir: Path) -> dict[int, tuple[str, str | None, int | None]]:
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        low, high = ledger.code_range()
        return {
            code: (s.state.value, s.detail, s.ref_code)
            for code, s in ledger.states_between(low, high).items()
        }
    finally:
        ledger.close()


def reextract_in_process(
    archive_dir: Path, codes: set[int] | None = None, layouts: list[str] | None = None
) -> ReextractReport:
    job = Reextraction(
        archive_dir,
        new_run_id(),
        max_size=4 * 1024 * 1024,
        max_title=1000,
        fsync_interval=1.0,
        **({"layouts": load_layouts(layouts)} if layouts else {}),
    )
    try:
        return job.run(codes)
    finally:
        job.close()


@pytest.fixture
def crawled(replica: ReplicaSite, archive_dir: Path) -> Path:
    """Every kind of answer, then a refresh in which one story changed."""
    every_kind_of_answer(replica)
    assert crawl("stories", replica.url, archive_dir, codes=ANSWERS.spec).exit_status == 3
    edited = replica.stories()[0]
    edited.body.append("A paragraph added after publication.")
    again = crawl("stories", replica.url, archive_dir, codes=ANSWERS.spec, refresh="100000d")
    assert again.stat("archive/records/revisions") == 1
    return archive_dir


def test_warc_alone_rebuilds_the_archive_and_the_ledger(replica, crawled) -> None:
    expected_lines, expected_states = lines(crawled), states(crawled)
    assert any(revision == 2 for _, revision, _, _ in expected_lines)
    for path in crawled.glob("stories-*.jsonl"):
        path.unlink()
    for path in crawled.glob("ledger.sqlite3*"):
        path.unlink()
    requests_before = replica.requests_total()

    result = scrapy_command(
        "archive-reextract", "--dir", str(crawled), "--json", "-s", f"SITE_URL={dead_url()}"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["new"] + report["revisions"] == len(expected_lines)
    assert replica.requests_total() == requests_before  # nothing asked of the site
    assert lines(crawled) == expected_lines  # same codes, hashes, revisions and chain
    assert states(crawled) == expected_states
    assert_ledger_matches_archive(crawled)

    again = scrapy_command("archive-reextract", "--dir", str(crawled), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["new"] == json.loads(again.stdout)["revisions"] == 0
    assert len(list(crawled.glob("stories-*.jsonl"))) == 1
    assert lines(crawled) == expected_lines


def test_the_rebuilt_ledger_lets_the_next_crawl_skip_and_revisit(replica, crawled) -> None:
    for path in [*crawled.glob("stories-*.jsonl"), *crawled.glob("ledger.sqlite3*")]:
        path.unlink()
    reextract_in_process(crawled)
    before = replica.requests_total()
    result = crawl("stories", replica.url, crawled, codes=ANSWERS.spec)
    # Only the failed code is asked again (robots.txt aside); nothing new is archived.
    assert replica.requests_total() - before == 1 + 5
    assert result.stat("archive/records/written") == 0
    refresh = crawl("stories", replica.url, crawled, codes=ANSWERS.spec, refresh="100000d")
    assert refresh.stat("archive/warc/revisits") >= len(ANSWERS.stories)
    archived = [c for c, s in states(crawled).items() if s[0] == "archived"]
    assert verify_warc(crawled, archived) == []


def test_a_changed_page_object_writes_revisions_only_where_content_changed(
    crawled, monkeypatch
) -> None:
    before = lines(crawled)
    current = {code: (rev, sha) for code, rev, sha, _ in before}
    original_title = StoryPage.title.func  # type: ignore[attr-defined]

    def corrected_title(page: StoryPage) -> str | None:
        title = original_title(page)
        return f"{title} (corrected)" if title and page.story_code % 3 == 0 else title

    monkeypatch.setattr(StoryPage, "title", property(corrected_title))
    report = reextract_in_process(crawled)
    changed = {code for code in current if code % 3 == 0}
    assert changed
    assert report.new == 0
    assert report.revisions == len(changed)
    after = lines(crawled)
    added = sorted(set(after) - set(before))
    assert [code for code, *_ in added] == sorted(changed)
    for code, revision, _, previous in added:
        assert revision == current[code][0] + 1
        assert previous == current[code][1]
    assert_ledger_matches_archive(crawled)
    assert reextract_in_process(crawled).written == 0


def test_a_page_not_understood_then_is_archived_once_it_is(replica, archive_dir) -> None:
    code = 740001
    story = replica.add_story(make_story(code, layout="redesigned"))
    replica.add_story(make_story(code + 1))
    result = crawl("stories", replica.url, archive_dir, codes=f"{code}-{code + 1}")
    assert result.exit_status == 8
    assert states(archive_dir)[code][0] == State.UNRECOGNIZED.value
    # The operator adds the layout; the capture is read again, with no request.
    before = replica.requests_total()
    report = reextract_in_process(archive_dir, {code}, STORY_LAYOUTS_WITH_REDESIGN)
    assert replica.requests_total() == before
    assert (report.captures, report.new, report.revisions) == (1, 1, 0)
    [record] = [r for r in archive_records(archive_dir) if r["story_code"] == code]
    expected = story.expected_record(replica.url)
    assert record["content_sha256"] == expected["content_sha256"]
    assert (record["revision"], record["layout"]) == (1, "redesigned")
    assert states(archive_dir)[code][0] == State.ARCHIVED.value
    assert verify_warc(archive_dir, [code, code + 1]) == []


def test_the_command_refuses_a_directory_without_captures(tmp_path) -> None:
    result = scrapy_command("archive-reextract", "--dir", str(tmp_path))
    assert result.returncode == 2
    assert "no WARC captures" in result.stderr + result.stdout


def test_the_generic_layer_never_revises_an_archived_story(crawled) -> None:
    # A layout list that lost the classic template: its pages fall to the
    # generic layer, which reads less of them. That is the template unknown,
    # not the story edited: nothing is written over the archived records.
    before = lines(crawled)
    report = reextract_in_process(crawled, layouts=["crawler.pages.layouts.IranSamaneh"])
    assert (report.new, report.revisions) == (0, 0)
    assert report.not_revised > 0
    assert lines(crawled) == before
    result = scrapy_command(
        "archive-reextract", "--dir", str(crawled), "-s",
        "STORY_LAYOUTS=crawler.pages.layouts.IranSamaneh",
    )  # fmt: skip
    assert result.returncode == 8, result.stdout + result.stderr
    assert lines(crawled) == before


def test_a_warc_file_damaged_in_the_middle_stops_with_the_storage_status(crawled) -> None:
    # Past the start-up repair, which trusts what the capture index already
    # covers, a file that does not read to its end is reported, not read
    # half: the captures after the damage would otherwise be skipped quietly.
    before = lines(crawled)
    path = sorted((crawled / "warc").glob("*.warc.gz"))[0]
    whole = path.read_bytes()
    middle = len(whole) // 2
    path.write_bytes(whole[:middle] + bytes(64) + whole[middle + 64 :])
    result = scrapy_command("archive-reextract", "--dir", str(crawled))
    assert result.returncode == 7, result.stdout + result.stderr
    assert f"{path.name}: unreadable past byte" in result.stdout + result.stderr
    assert lines(crawled) == before
    path.write_bytes(whole)  # the damage mended, the archive verifies again
    assert reextract_in_process(crawled).written == 0


def written_lines(archive_dir: Path) -> int:
    return sum(path.read_bytes().count(b"\n") for path in archive_dir.glob("stories-*.jsonl"))


def test_a_rebuild_killed_again_and_again_loses_and_duplicates_nothing(
    replica, archive_dir
) -> None:
    # The rebuild is what is left when the archive files and the ledger are
    # gone: SIGKILLs in the middle of it, each followed by the same command,
    # must end in the archive a single rebuild makes.
    replica.add_stories(make_story(code, family="AB"[code % 2]) for code in range(780000, 780600))
    assert crawl("stories", replica.url, archive_dir, codes="780000-780599").exit_status == 0
    expected_lines, expected_states = lines(archive_dir), states(archive_dir)
    for path in [*archive_dir.glob("stories-*.jsonl"), *archive_dir.glob("ledger.sqlite3*")]:
        path.unlink()
    command = [*SCRAPY, "archive-reextract", "--dir", str(archive_dir)]
    # Killed at moments set by its progress, so on any machine: during its
    # start-up, then as the lines written pass each mark.
    kills = 0
    for mark in (0, 1, 100, 250, 400, 550):
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
        while process.poll() is None:
            if written_lines(archive_dir) >= mark:
                process.kill()
                kills += 1
                break
            time.sleep(0.002)
        process.wait()
    assert kills >= 4
    result = scrapy_command("archive-reextract", "--dir", str(archive_dir), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines(archive_dir) == expected_lines  # nothing lost, nothing twice
    assert states(archive_dir) == expected_states
    assert_ledger_matches_archive(archive_dir)


def test_a_rebuild_from_a_warc_file_damaged_in_the_middle_stops_and_says_where(crawled) -> None:
    # With no ledger, nothing says where the file was whole: a part that does
    # not read, with whole records after it, must not pass for a torn tail
    # (whose records the start-up repair moves aside unread).
    for path in [*crawled.glob("stories-*.jsonl"), *crawled.glob("ledger.sqlite3*")]:
        path.unlink()
    path = sorted((crawled / "warc").glob("*.warc.gz"))[0]
    whole = path.read_bytes()
    data = bytearray(whole)
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    result = scrapy_command("archive-reextract", "--dir", str(crawled))
    assert result.returncode == 7, result.stdout + result.stderr
    assert f"{path.name}: damaged at byte " in result.stdout + result.stderr
    assert path.read_bytes() == bytes(data)  # nothing moved aside
    assert not (crawled / "torn").exists()
    path.write_bytes(whole)  # the damage mended (a backup), the rebuild goes through
    assert reextract_in_process(crawled).written > 0
