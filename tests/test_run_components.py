"""The run and its pipelines in-process, built from settings as a crawl
builds them (scrapy.utils.test.get_crawler), without a crawl."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.misc import is_generator_with_return_value
from scrapy.utils.test import get_crawler

from crawler import settings as defaults
from crawler.errors import ArchiveLocked, ExitCode
from crawler.extensions.run import ArchiveRun
from crawler.items import StoryItem, content_sha256
from crawler.ledger import State
from crawler.pipelines.archive import ArchivePipeline
from crawler.pipelines.dedup import DedupPipeline
from spiders.latest import LatestSpider
from spiders.stories import StoriesSpider
from tests.crawling import archive_records


def story(code: int, body: str = "Body text.") -> StoryItem:
    return StoryItem(
        story_code=code,
        url=f"https://example.test/en/news/{code}",
        title=f"Story {code}",
        body=body,
        published_at="2026-11-01T10:00:00+03:30",
        layout="test",
        content_sha256=content_sha256(f"Story {code}", None, body),
    )


def open_run(directory: Path, **settings: object) -> ArchiveRun:
    project = {name: getattr(defaults, name) for name in dir(defaults) if name.isupper()}
    crawler = get_crawler(
        StoriesSpider,
        {
            **project,
            "ARCHIVE_DIR": str(directory),
            "SITE_URL": "https://example.test",
            # The WARC capture is a downloader middleware: there is no
            # downloader without a crawl (tests/test_warc_capture.py has it).
            "ARCHIVE_WARC": False,
            **settings,
        },
    )
    crawler.spider = StoriesSpider.from_crawler(crawler, codes="1-10")
    return ArchiveRun.from_crawler(crawler)


@pytest.fixture
def run(archive_dir: Path) -> Iterator[ArchiveRun]:
    run = open_run(archive_dir)
    yield run
    run.finalize("finished")


def archive(run: ArchiveRun, item: StoryItem) -> StoryItem:
    return ArchivePipeline(run).process_item(DedupPipeline(run).process_item(item))


def test_a_record_is_written_once_per_run_and_counted_once(run: ArchiveRun) -> None:
    run.requested(1)  # as the spider does for each code it asks
    archive(run, story(1))
    with pytest.raises(DropItem, match="already archived by this run"):
        archive(run, story(1))
    assert run.stats.get_value("archive/state/archived") == 1
    assert run.stats.get_value("archive/codes/done") == 1
    assert run.stats.get_value("archive/dropped/repeat") == 1
    assert run.ledger.get(1).state is State.ARCHIVED


def test_a_story_a_redirect_led_to_outside_the_codes_asked_is_counted_apart(
    run: ArchiveRun,
) -> None:
    run.expect(10)  # the spider's codes, 1-10
    run.requested(5)
    run.settle(5, State.REDIRECTED, ref_code=50)
    archive(run, story(50))  # 50 is not among the codes asked (1-10)
    assert run.stats.get_value("archive/codes/done") == 1
    assert run.stats.get_value("archive/codes/reached") == 1
    assert run.ledger.get(50).state is State.ARCHIVED
    run.finalize("finished")
    assert run.stats.get_value("archive/state/archived") == 1
    summary = json.loads(sorted((run.directory / "runs").glob("*.json"))[-1].read_text("utf-8"))
    assert summary["codes_unfinished"] == 9  # of the ten asked, one settled


def test_content_of_another_code_is_a_duplicate(run: ArchiveRun) -> None:
    archive(run, story(1))
    twin = story(2)
    twin.content_sha256 = story(1).content_sha256
    with pytest.raises(DropItem, match="same content"):
        archive(run, twin)
    state = run.ledger.get(2)
    assert (state.state, state.ref_code) == (State.DUPLICATE, 1)


def test_a_failure_never_unarchives_a_story(run: ArchiveRun) -> None:
    archive(run, story(1))
    run.settle(1, State.FAILED, detail="timeout")
    assert run.ledger.get(1).state is State.ARCHIVED


def test_a_changed_story_becomes_a_revision_in_the_next_run(archive_dir: Path) -> None:
    first = open_run(archive_dir)
    archive(first, story(1))
    assert first.finalize("finished") is ExitCode.OK
    second = open_run(archive_dir)
    written = archive(second, story(1, body="Corrected text."))
    assert (written.revision, written.previous_sha256) == (2, story(1).content_sha256)
    assert second.finalize("finished") is ExitCode.OK
    assert [r["revision"] for r in archive_records(archive_dir)] == [1, 2]


def test_unrecognized_pages_make_the_run_exit_8_and_name_them(archive_dir: Path) -> None:
    run = open_run(archive_dir)
    archive(run, story(1))
    run.settle(2, State.UNRECOGNIZED, detail="no title, no body")
    assert run.finalize("finished") is ExitCode.LAYOUT_CHANGED
    summary = json.loads(sorted((archive_dir / "runs").glob("*.json"))[-1].read_text("utf-8"))
    assert summary["samples"] == {"unrecognized": [2]}
    assert summary["layout_changed"] == ["1 page(s) unrecognized"]
    assert summary["counts"]["unrecognized"] == 1


def test_a_field_missing_beyond_its_ratio_makes_the_run_exit_8(archive_dir: Path) -> None:
    run = open_run(archive_dir, ARCHIVE_FIELD_MISSING_MAX_RATIO={"lead": 0.5})
    for code in (1, 2, 3):
        run.stats.inc_value("archive/extract/records")
        run.stats.inc_value("archive/field_missing/lead")
        archive(run, story(code))
    assert run.finalize("finished") is ExitCode.LAYOUT_CHANGED


def test_a_second_run_on_the_same_directory_is_refused(run: ArchiveRun, archive_dir) -> None:
    with pytest.raises(ArchiveLocked):
        open_run(archive_dir)


@pytest.mark.parametrize("spider", [StoriesSpider, LatestSpider])
def test_no_callback_is_a_generator_that_returns_a_value(spider) -> None:
    # WARN_ON_GENERATOR_RETURN_VALUE is off for speed; this is the check instead.
    callbacks = [getattr(spider, name) for name in dir(spider) if not name.startswith("__")]
    assert not [
        cb
        for cb in callbacks
        if inspect.isgeneratorfunction(cb) and is_generator_with_return_value(cb)
    ]
