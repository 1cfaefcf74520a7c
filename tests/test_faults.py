"""Guarantees 4-6: faults are retried, hostile input is refused or tamed, and
no request leaves the site (see also ``test_network.py``)."""

from __future__ import annotations

import json

import pytest

from crawler.ledger import State
from tests.crawling import crawl
from tests.measuring import crawl_cli_peak
from tests.replica import make_story
from tests.test_crawl_stories import ledger_state, without_crawl_time
from tests.verifying import assert_ledger_matches_archive

FAST_TIMEOUT = {"DOWNLOAD_TIMEOUT": 1}


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("status", {"status": 500}),
        ("status", {"status": 502}),
        ("status", {"status": 503}),
        ("429", {"retry_after": 1}),
        ("slow", {"delay": 3}),
        ("reset", {}),
        ("short_body", {}),
        ("stall_body", {"delay": 3}),
    ],
    ids=["500", "502", "503", "429", "timeout", "reset", "short-body", "stalled-body"],
)
def test_flaky_story_that_finally_arrives_is_archived_once(
    replica, archive_dir, kind, params
) -> None:
    story = replica.add_story(make_story(480000))
    replica.set_fault(480000, kind, times=2, **params)
    result = crawl("stories", replica.url, archive_dir, settings=FAST_TIMEOUT, codes="480000")
    assert result.exit_status == 0
    assert [without_crawl_time(r) for r in result.records()] == [story.expected_record(replica.url)]
    assert replica.story_requests(480000) == 3
    assert_ledger_matches_archive(archive_dir)


@pytest.mark.parametrize(
    ("kind", "params", "reason"),
    [
        ("status", {"status": 503}, "http 503"),
        ("slow", {"delay": 3}, "timeout"),
        ("reset", {}, "connection lost"),
        ("short_body", {}, "incomplete body"),
    ],
    ids=["503", "timeout", "reset", "short-body"],
)
def test_story_that_never_arrives_ends_failed_with_its_reason(
    replica, archive_dir, kind, params, reason
) -> None:
    replica.add_story(make_story(481000))
    replica.add_story(make_story(481001))
    replica.set_fault(481000, kind, **params)
    result = crawl(
        "stories",
        replica.url,
        archive_dir,
        settings={**FAST_TIMEOUT, "RETRY_TIMES": 2},
        codes="481000-481001",
    )
    assert [r["story_code"] for r in result.records()] == [481001]  # no partial body
    state = ledger_state(archive_dir, 481000)
    assert state.state is State.FAILED
    assert reason in state.detail.lower()
    assert replica.story_requests(481000) == 3
    assert result.exit_status == 3


def test_retry_after_is_honoured(replica, archive_dir) -> None:
    replica.add_story(make_story(482000))
    replica.set_fault(482000, "429", retry_after=2, times=1)
    # The test backoff (0.05 s base) alone would retry at once: only Retry-After waits 2 s.
    result = crawl(
        "stories", replica.url, archive_dir, settings={"RETRY_BACKOFF_MAX": 5}, codes="482000"
    )
    assert len(result.records()) == 1
    first, second = replica.request_times("/en/news/482000")
    assert second - first >= 2.0


BOMB_SIZE = 200_000_000


@pytest.mark.parametrize("kind", ["oversize", "gzip_bomb", "deflate_bomb", "brotli_bomb"])
def test_oversized_and_bomb_pages_are_refused_and_memory_stays_bounded(
    replica, archive_dir, kind
) -> None:
    replica.add_story(make_story(483000))
    replica.add_story(make_story(483001))
    replica.set_fault(483000, kind, size=BOMB_SIZE)
    result, peak = crawl_cli_peak("stories", replica.url, archive_dir, codes="483000-483001")
    assert [r["story_code"] for r in result.records()] == [483001]
    state = ledger_state(archive_dir, 483000)
    assert state.state is State.FAILED
    assert "over DOWNLOAD_MAXSIZE" in state.detail
    # The crawl's true peak (a 4 MiB cap leaves it near its ~90 MiB baseline) is far
    # below the page it was sent: holding that page at all would take BOMB_SIZE bytes.
    assert peak < BOMB_SIZE * 3 // 4


def test_hundred_thousand_nested_tags(replica, archive_dir) -> None:
    replica.add_story(make_story(484001))
    story = replica.set_fault(484000, "nested", depth=100_000)
    result = crawl("stories", replica.url, archive_dir, codes="484000-484001")
    records = {r["story_code"]: without_crawl_time(r) for r in result.records()}
    assert set(records) == {484000, 484001}
    assert ledger_state(archive_dir, 484000).state is State.ARCHIVED
    # The story's own text; the tags after the 100,000 open tags are past the
    # parser's depth limit, and the record says so by counting them missing.
    assert records[484000] == {**story.expected_record(replica.url), "tags": []}
    assert result.stat("archive/field_missing/tags") == 1


@pytest.mark.parametrize("variant", ["utf8_labelled_1256", "1256_labelled_utf8", "none"])
def test_wrong_or_missing_charset_gives_the_right_text(replica, archive_dir, variant) -> None:
    story = replica.set_fault(485000, "charset", variant=variant)
    result = crawl("stories", replica.url, archive_dir, codes="485000")
    (record,) = result.records()
    assert without_crawl_time(record) == story.expected_record(replica.url)


def test_nul_bytes_and_invalid_utf8_give_valid_json(replica, archive_dir) -> None:
    replica.set_fault(486000, "nul_bytes")
    crawl("stories", replica.url, archive_dir, codes="486000")
    raw = next(archive_dir.glob("stories-*.jsonl")).read_bytes()
    raw.decode("utf-8")  # strict: the whole file is valid UTF-8
    record = json.loads(raw)
    assert "\x00" not in record["body"]
    assert "\\u0000" not in raw.decode()


@pytest.mark.parametrize(
    ("maxsize", "reason"),
    [(None, "response over DOWNLOAD_MAXSIZE"), (32 * 1024 * 1024, "title too long")],
    ids=["over-the-size-cap", "within-a-raised-cap"],
)
def test_megabyte_title_is_rejected_with_its_reason(replica, archive_dir, maxsize, reason):
    replica.add_story(make_story(487001))
    replica.set_fault(487000, "huge_title")
    settings = {"DOWNLOAD_MAXSIZE": maxsize} if maxsize else {}
    result = crawl("stories", replica.url, archive_dir, settings=settings, codes="487000-487001")
    assert [r["story_code"] for r in result.records()] == [487001]
    assert reason in ledger_state(archive_dir, 487000).detail


def test_redirect_to_another_host_is_refused_and_counted(replica, archive_dir) -> None:
    replica.set_fault(488000, "offsite_redirect")
    result = crawl("stories", replica.url, archive_dir, codes="488000")
    assert result.records() == []
    assert result.stat("archive/refused/offsite") == 1
    state = ledger_state(archive_dir, 488000)
    assert (state.state, state.detail) == (
        State.FAILED,
        "refused: redirect to another host (example.invalid)",
    )


@pytest.mark.parametrize(
    "target",
    ["file:///etc/passwd", "data:text/html,hi", "ftp://127.0.0.1/x", "s3://bucket/x"],
    ids=["file", "data", "ftp", "s3"],
)
def test_redirect_to_another_scheme_is_refused(replica, archive_dir, target) -> None:
    replica.set_fault(489000, "scheme_redirect", target=target)
    result = crawl("stories", replica.url, archive_dir, codes="489000")
    assert result.records() == []
    state = ledger_state(archive_dir, 489000)
    assert (state.state, state.detail) == (
        State.FAILED,
        f"refused: redirect to another scheme ({target.split(':')[0]}:)",
    )
    assert result.stat("archive/refused/scheme") == 1


def test_links_to_other_hosts_are_never_followed(replica, archive_dir) -> None:
    story = replica.set_fault(490000, "offsite_link")
    replica.reset_counts()
    result = crawl("stories", replica.url, archive_dir, codes="490000")
    (record,) = result.records()
    assert without_crawl_time(record) == story.expected_record(replica.url)
    assert set(replica.counts) == {"/robots.txt", "/en/news/490000"}
    assert result.stat("offsite/filtered") == 0
