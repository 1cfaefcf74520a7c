"""Which codes a run asks, and how: lazily, once each, and never into a sweep
that one bad link or one huge range could start."""

from __future__ import annotations

import json
import signal
import sqlite3
from datetime import UTC, datetime, timedelta

from crawler.ledger import SQLiteLedger, State
from tests.crawling import crawl, start_cli, wait_for
from tests.replica import make_story
from tests.test_crawl_stories import ledger_state
from tests.verifying import assert_ledger_matches_archive

PROBE = {"LATEST_PROBE_MISSES": 5}
HUGE = "1-10000000"


def test_a_huge_range_is_planned_as_the_engine_takes_it(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(1, 31))
    result = crawl(
        "stories",
        replica.url,
        archive_dir,
        settings={"CLOSESPIDER_ITEMCOUNT": 20, "CONCURRENT_REQUESTS": 8},
        codes=HUGE,
    )
    # The run was stopped after 20 records: it had planned only what the engine
    # could take by then, not ten million queued requests.
    planned = result.stat("archive/codes/asked")
    assert 20 <= planned <= 20 + 8 + 1000
    assert result.stat("scheduler/enqueued") <= planned
    assert result.summary()["codes_asked"] == 10_000_000
    assert result.summary()["codes_unfinished"] == 10_000_000 - result.stat("archive/codes/done")


def test_sigterm_stops_a_huge_range_and_the_next_run_resumes(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(1, 41))
    for code in range(5, 41):
        replica.set_fault(code, "slow", delay=1.0)
    run = start_cli(
        "stories",
        replica.url,
        archive_dir,
        settings={"ARCHIVE_STOP_TIMEOUT": 5, "CONCURRENT_REQUESTS_PER_DOMAIN": 4},
        codes=HUGE,
    )
    wait_for(lambda: replica.story_requests(6) > 0)
    run.send_signal(signal.SIGTERM)
    log, _ = run.communicate(timeout=60)
    assert run.returncode == 5, log
    summary = json.loads(sorted((archive_dir / "runs").glob("*.json"))[-1].read_text())
    assert summary["exit_status"] == 5
    assert summary["codes_unfinished"] > 9_999_000
    assert_ledger_matches_archive(archive_dir)


def test_a_stray_link_is_fetched_alone_never_swept_to(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(480000, 480010))
    crawl("latest", replica.url, archive_dir, settings=PROBE)
    stray = 480009 + 5_000_000
    replica.add_story(make_story(stray))
    replica.reset_counts()
    result = crawl("latest", replica.url, archive_dir, settings=PROBE)
    assert result.exit_status == 0
    assert result.stat("archive/discovery/strays") == 1
    assert replica.story_requests(stray) == 1
    assert replica.story_requests(stray - 1) == 0
    assert replica.story_requests(480009 + 1_000) == 0
    # robots, home, feed, the stray, and the probes above the newest real story.
    assert replica.requests_total() == 3 + 1 + PROBE["LATEST_PROBE_MISSES"]
    # The next run does not start a sweep either: the stray does not count as
    # the newest story, and the probes stay above the real one.
    replica.reset_counts()
    again = crawl("latest", replica.url, archive_dir, settings=PROBE)
    assert again.exit_status == 0
    assert replica.requests_total() <= 3 + 1 + PROBE["LATEST_PROBE_MISSES"]


def test_gap_filling_leaves_recent_not_found_codes_alone(replica, archive_dir) -> None:
    # Codes 481003-481009 were checked yesterday and were not stories.
    replica.add_stories(make_story(c) for c in (481000, 481001, 481002, 481010))
    crawl("stories", replica.url, archive_dir, codes="481000-481010")
    # Now the site lists a new story, and one inside the old gap.
    replica.add_stories(make_story(c) for c in (481005, 481011))
    replica.home_count = 0
    replica.feed_enabled = True
    replica.reset_counts()
    result = crawl("latest", replica.url, archive_dir, settings=PROBE)
    assert result.exit_status == 0
    assert {r["story_code"] for r in result.records()} >= {481005, 481011}
    assert all(replica.story_requests(c) == 0 for c in (481003, 481004, 481006, 481009))
    # robots, home, feed, the two listed codes, and the probes past 481011
    # (481010 and older codes listed in the feed were archived: skipped).
    assert replica.requests_total() == 3 + 2 + PROBE["LATEST_PROBE_MISSES"]


def test_a_listed_code_that_is_no_story_is_asked_alone(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(481100, 481105))
    crawl("latest", replica.url, archive_dir, settings=PROBE)
    replica.set_page(481104 + 1500, b"<html><body>Not a story at all</body></html>")
    replica.reset_counts()
    crawl("latest", replica.url, archive_dir, settings=PROBE)
    assert replica.story_requests(481104 + 1500) == 1
    assert replica.story_requests(481104 + 700) == 0


def test_latest_retries_failed_codes_oldest_first_bounded(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(482000, 482010))
    for code in range(482000, 482004):
        replica.set_fault(code, "status", status=500, times=100)
    first = crawl("stories", replica.url, archive_dir, codes="482000-482009")
    assert first.exit_status == 3
    for code in range(482000, 482004):
        replica.clear_fault(code)
    replica.home_count = 0  # the failed codes are no longer listed anywhere
    replica.feed_enabled = False
    result = crawl("latest", replica.url, archive_dir, settings={**PROBE, "LATEST_RETRY_MAX": 3})
    assert result.exit_status == 0
    retried = sorted(r["story_code"] for r in result.records())
    assert len([c for c in retried if c < 482004]) == 3
    result = crawl("latest", replica.url, archive_dir, settings=PROBE)
    assert ledger_state(archive_dir, 482003).state is State.ARCHIVED


def test_codes_failed_asks_every_unsettled_code(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(483000, 483005))
    for code in (483001, 483003):
        replica.set_fault(code, "status", status=503, times=100)
    crawl("stories", replica.url, archive_dir, codes="483000-483004")
    for code in (483001, 483003):
        replica.clear_fault(code)
    replica.reset_counts()
    result = crawl("stories", replica.url, archive_dir, codes="failed")
    assert result.exit_status == 0
    assert replica.story_requests(483001) == replica.story_requests(483003) == 1
    assert replica.story_requests(483000) == 0
    assert result.summary()["counts"]["archived"] == 2


def test_overlapping_listings_count_each_code_once(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(484000, 484030))
    crawl("latest", replica.url, archive_dir, settings=PROBE)
    # The home page (20) and the feed (30) overlap: 30 codes in all.
    result = crawl("latest", replica.url, archive_dir, settings=PROBE)
    assert result.stat("archive/codes/skipped/archived") == 30


def test_first_latest_leaves_no_code_between_two_listings(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(485000, 485040))
    replica.home_count = 5  # the feed reaches further back than the home page
    result = crawl("latest", replica.url, archive_dir, settings=PROBE)
    oldest_in_feed = 485040 - 30
    assert sorted(r["story_code"] for r in result.records()) == list(range(oldest_in_feed, 485040))


def test_not_found_stamped_in_the_future_is_checked_again(replica, archive_dir) -> None:
    crawl("stories", replica.url, archive_dir, codes="486000")
    ahead = (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with sqlite3.connect(archive_dir / SQLiteLedger.FILENAME) as db:
        db.execute("UPDATE codes SET updated_at = ? WHERE code = 486000", (ahead,))
    replica.add_story(make_story(486000))
    result = crawl("stories", replica.url, archive_dir, codes="486000")
    assert [r["story_code"] for r in result.records()] == [486000]


def test_a_story_reached_twice_in_one_run_is_written_once_and_counted_once(
    replica, archive_dir
) -> None:
    replica.add_story(make_story(487001))
    replica.set_redirect(487000, 487001)
    result = crawl("stories", replica.url, archive_dir, codes="487000-487001")
    assert [r["story_code"] for r in result.records()] == [487001]
    counts = result.summary()["counts"]
    assert (counts["archived"], counts["redirected"]) == (1, 1)
    assert result.stat("archive/records/unchanged") == 0
    assert result.stat("archive/codes/done") == 2
