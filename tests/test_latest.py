"""``scrapy crawl latest``: what was published since the last run, found by itself."""

from __future__ import annotations

from crawler.ledger import State
from tests.crawling import crawl
from tests.replica import make_story
from tests.test_crawl_stories import ledger_state, without_crawl_time
from tests.verifying import assert_ledger_matches_archive

PROBE = {"LATEST_PROBE_MISSES": 5}


def archived_codes(result) -> list[int]:
    return sorted(r["story_code"] for r in result.records())


def test_latest_finds_exactly_the_new_stories_then_nothing(replica, archive_dir) -> None:
    old = [make_story(c) for c in range(420000, 420040) if c % 4]
    replica.add_stories(old)
    first = crawl("latest", replica.url, archive_dir, settings=PROBE)
    assert first.exit_status == 0
    # An empty archive starts from the oldest story listed: the home page shows
    # the newest 20, the feed the newest 30.
    listed = sorted(s.code for s in old)[-30:]
    assert archived_codes(first) == [s.code for s in old if s.code >= listed[0]]
    first_count = len(first.records())

    new = [make_story(c) for c in range(420040, 420052) if c != 420045]
    replica.add_stories(new)
    replica.reset_counts()
    second = crawl("latest", replica.url, archive_dir, settings=PROBE)
    assert second.exit_status == 0
    assert sorted(r["story_code"] for r in second.records()[first_count:]) == sorted(
        s.code for s in new
    )
    fresh = {r["story_code"]: without_crawl_time(r) for r in second.records()}
    for story in new:
        assert fresh[story.code] == story.expected_record(replica.url)
    # Nothing settled was fetched again.
    assert all(replica.story_requests(s.code) == 0 for s in old)

    replica.reset_counts()
    third = crawl("latest", replica.url, archive_dir, settings=PROBE)
    assert third.exit_status == 0
    assert third.stat("archive/records/written") == 0
    # robots.txt, home page, feed, and the probes above the newest story.
    assert replica.requests_total() == 3 + PROBE["LATEST_PROBE_MISSES"]
    assert_ledger_matches_archive(archive_dir)


def test_gaps_between_last_run_and_newest_are_filled(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(430000, 430005))
    crawl("latest", replica.url, archive_dir, settings=PROBE)
    # Thirty new stories, but the home page and the feed show only the newest 3
    # and codes jump past the probe window in between.
    replica.home_count = 3
    replica.feed_enabled = False
    new = [make_story(c) for c in range(430005, 430060) if c < 430020 or c > 430040]
    replica.add_stories(new)
    result = crawl("latest", replica.url, archive_dir, settings=PROBE)
    assert result.exit_status == 0
    assert {s.code for s in new} <= {r["story_code"] for r in result.records()}
    assert ledger_state(archive_dir, 430030).state is State.NOT_FOUND
    assert_ledger_matches_archive(archive_dir)


def test_probing_finds_stories_not_listed_anywhere(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(440000, 440003))
    crawl("latest", replica.url, archive_dir, settings=PROBE)
    replica.home_count = 0
    replica.feed_enabled = False
    replica.add_stories(make_story(c) for c in (440004, 440007, 440011))
    result = crawl("latest", replica.url, archive_dir, settings=PROBE)
    assert archived_codes(result)[-3:] == [440004, 440007, 440011]
    # Probing stops after five misses in a row past the newest story.
    assert replica.story_requests(440016) == 1
    assert replica.story_requests(440017) == 0


def test_latest_refresh_refetches_recent_stories(replica, archive_dir) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    recent = datetime.now(ZoneInfo("Asia/Tehran")) - timedelta(hours=3)
    replica.add_story(make_story(450000, published=recent))
    crawl("latest", replica.url, archive_dir, settings=PROBE)
    replica.add_story(make_story(450000, published=recent, title="A corrected headline"))
    result = crawl("latest", replica.url, archive_dir, settings=PROBE, refresh="1d")
    last = result.records()[-1]
    assert (last["story_code"], last["revision"], last["title"]) == (
        450000,
        2,
        "A corrected headline",
    )
    assert_ledger_matches_archive(archive_dir)
