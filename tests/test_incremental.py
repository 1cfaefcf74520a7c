"""Incremental runs: the ledger makes every run do only new work."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crawler.ledger import State
from tests.crawling import crawl
from tests.replica import make_story
from tests.test_crawl_stories import ledger_state, without_crawl_time
from tests.verifying import assert_ledger_matches_archive

TEHRAN = ZoneInfo("Asia/Tehran")


def test_second_run_of_the_same_range_fetches_nothing_settled(replica, archive_dir) -> None:
    replica.add_stories(make_story(code) for code in range(410000, 410020) if code % 5)
    replica.set_redirect(410019, 410001)
    first = crawl("stories", replica.url, archive_dir, codes="410000-410019")
    assert first.exit_status == 0
    replica.reset_counts()
    second = crawl("stories", replica.url, archive_dir, codes="410000-410019")
    assert second.exit_status == 0
    # Only the not-found codes are due again (their re-check age is 0 here? no:
    # the default is 7 days), so nothing at all is asked for.
    assert replica.requests_total() == replica.count("/robots.txt")
    assert second.records() == first.records()
    assert second.stat("archive/codes/skipped/archived") == 15
    assert second.stat("archive/codes/skipped/not_found") == 4
    assert second.stat("archive/codes/skipped/redirected") == 1
    assert_ledger_matches_archive(archive_dir)


def test_not_found_codes_are_rechecked_after_the_configured_age(replica, archive_dir) -> None:
    crawl("stories", replica.url, archive_dir, codes="411000")
    assert ledger_state(archive_dir, 411000).state is State.NOT_FOUND
    story = replica.add_story(make_story(411000))  # published late
    crawl("stories", replica.url, archive_dir, codes="411000")
    assert replica.story_requests(411000) == 1  # not due yet
    result = crawl(
        "stories",
        replica.url,
        archive_dir,
        codes="411000",
        settings={"ARCHIVE_NOT_FOUND_RECHECK_DAYS": 0},
    )
    assert [without_crawl_time(r) for r in result.records()] == [story.expected_record(replica.url)]


def test_failed_codes_are_retried_on_the_next_run(replica, archive_dir) -> None:
    replica.add_story(make_story(412000))
    replica.set_fault(412000, "status", status=503)
    first = crawl("stories", replica.url, archive_dir, codes="412000")
    assert first.exit_status == 4  # the only request failed: the site looks down
    state = ledger_state(archive_dir, 412000)
    assert (state.state, state.detail, state.attempts) == (State.FAILED, "HTTP 503", 1)
    replica.clear_fault(412000)
    second = crawl("stories", replica.url, archive_dir, codes="412000")
    assert second.exit_status == 0
    assert ledger_state(archive_dir, 412000).state is State.ARCHIVED
    assert_ledger_matches_archive(archive_dir)


def test_refresh_writes_a_revision_only_for_a_changed_story(replica, archive_dir) -> None:
    recent = datetime.now(TEHRAN) - timedelta(days=2)
    old = datetime.now(TEHRAN) - timedelta(days=30)
    replica.add_story(make_story(413001, published=recent))
    replica.add_story(make_story(413002, published=recent))
    replica.add_story(make_story(413003, published=old))
    first = crawl("stories", replica.url, archive_dir, codes="413001-413003")
    before = {r["story_code"]: r for r in first.records()}

    edited = make_story(413001, published=recent, body=["An edited paragraph."])
    replica.add_story(edited)
    replica.add_story(make_story(413003, published=old, body=["Old, edited, not refreshed."]))
    replica.reset_counts()
    second = crawl("stories", replica.url, archive_dir, codes="413001-413003", refresh="7d")
    assert second.exit_status == 0
    assert replica.story_requests(413001) == 1
    assert replica.story_requests(413002) == 1
    assert replica.story_requests(413003) == 0  # published before the window
    records = second.records()
    assert len(records) == 4
    revision = records[-1]
    assert revision["story_code"] == 413001
    assert revision["revision"] == 2
    assert revision["previous_sha256"] == before[413001]["content_sha256"]
    assert revision["body"] == "An edited paragraph."
    assert second.stat("archive/records/unchanged") == 1
    assert ledger_state(archive_dir, 413001).revision == 2
    assert_ledger_matches_archive(archive_dir)
