"""A site that changes under the crawler: real crawls of the replica serving
templates no layout knows, block pages, and the Persian edition."""

from __future__ import annotations

import json

from crawler.ledger import State
from tests.crawling import crawl, crawl_cli, scrapy_command
from tests.layouts import STORY_LAYOUTS_WITH_REDESIGN
from tests.replica import make_story
from tests.replica.render import render_page
from tests.test_crawl_stories import ledger_state, without_crawl_time
from tests.verifying import assert_ledger_matches_archive

CODES = range(760000, 760010)


def test_a_redesigned_site_exits_8_and_is_archived_once_its_layout_is_added(
    replica, archive_dir
) -> None:
    known = [make_story(c) for c in CODES[:4]]
    redesigned = [make_story(c, layout="redesigned") for c in CODES[4:]]
    replica.add_stories([*known, *redesigned])
    spec = f"{CODES[0]}-{CODES[-1]}"
    first = crawl("stories", replica.url, archive_dir, codes=spec)
    assert first.exit_status == 8
    summary = first.summary()
    assert summary["counts"]["not_found"] == 0
    assert summary["counts"]["unrecognized"] == len(redesigned)
    assert summary["layout_changed"] == [f"{len(redesigned)} page(s) unrecognized"]
    samples = summary["samples"]["unrecognized"]
    assert len(samples) == 5 and set(samples) <= {s.code for s in redesigned}
    assert sorted(r["story_code"] for r in first.records()) == [s.code for s in known]
    state = ledger_state(archive_dir, redesigned[0].code)
    assert state.state is State.UNRECOGNIZED
    assert "missing slots" in state.detail

    # The next run asks every unrecognized code again, and only those.
    replica.reset_counts()
    second = crawl("stories", replica.url, archive_dir, codes=spec)
    assert second.exit_status == 8
    assert [replica.story_requests(s.code) for s in redesigned] == [1] * len(redesigned)
    assert [replica.story_requests(s.code) for s in known] == [0] * len(known)

    # The operator adds a page object for the new template: archived, exit 0.
    third = crawl(
        "stories",
        replica.url,
        archive_dir,
        settings={"STORY_LAYOUTS": STORY_LAYOUTS_WITH_REDESIGN},
        codes=spec,
    )
    assert third.exit_status == 0
    records = {r["story_code"]: without_crawl_time(r) for r in third.records()}
    for story in redesigned:
        assert records[story.code] == story.expected_record(replica.url)
    assert third.stat("archive/layout/redesigned") == len(redesigned)
    assert_ledger_matches_archive(archive_dir)


def test_a_page_only_the_generic_layer_reads_is_archived_and_exits_8(replica, archive_dir) -> None:
    story = replica.add_story(make_story(761000, layout="redesigned-meta"))
    result = crawl("stories", replica.url, archive_dir, codes="761000")
    assert result.exit_status == 8
    (record,) = result.records()
    assert record["layout"] == "generic"
    assert record["content_sha256"] == story.expected_record(replica.url)["content_sha256"]
    assert result.summary()["samples"]["generic"] == [761000]


def test_block_pages_are_blocked_and_a_run_of_only_them_exits_4(replica, archive_dir) -> None:
    for code, kind in zip(
        range(762000, 762003), ("challenge", "maintenance", "empty"), strict=True
    ):
        replica.set_blocked(code, kind)
    result = crawl("stories", replica.url, archive_dir, codes="762000-762002")
    assert result.exit_status == 4
    details = [ledger_state(archive_dir, c).detail for c in range(762000, 762003)]
    assert details == ["challenge", "maintenance", "empty"]
    assert {ledger_state(archive_dir, c).state for c in range(762000, 762003)} == {State.BLOCKED}
    # Asked again by the next run.
    replica.add_stories(make_story(c) for c in range(762000, 762003))
    again = crawl("stories", replica.url, archive_dir, codes="762000-762002")
    assert again.exit_status == 0
    assert len(again.records()) == 3


def test_a_challenge_or_notice_sent_with_an_error_status_is_blocked(replica, archive_dir) -> None:
    # How CDNs send them: a challenge with 403, a maintenance notice with 503.
    replica.set_blocked(762100, "challenge", status=403)
    replica.set_blocked(762101, "maintenance", status=503)
    replica.set_page(762102, b"<html><body><h1>Service Unavailable</h1></body></html>", status=503)
    result = crawl("stories", replica.url, archive_dir, codes="762100-762102")
    assert result.exit_status == 4  # nothing answered: the site is blocking us
    found = {c: ledger_state(archive_dir, c) for c in range(762100, 762103)}
    assert [(s.state, s.detail) for s in found.values()] == [
        (State.BLOCKED, "challenge (HTTP 403)"),
        (State.BLOCKED, "maintenance (HTTP 503)"),
        (State.FAILED, "HTTP 503"),  # an error page that says nothing more
    ]


def test_a_run_that_met_a_block_page_among_stories_says_so(replica, archive_dir) -> None:
    replica.add_stories(make_story(c) for c in range(762200, 762203))
    replica.set_blocked(762203, "challenge")
    result = crawl("stories", replica.url, archive_dir, codes="762200-762203")
    assert result.exit_status == 3
    assert len(result.records()) == 3
    assert ledger_state(archive_dir, 762203).state is State.BLOCKED
    lenient = crawl(
        "stories",
        replica.url,
        archive_dir.parent / "lenient",
        codes="762200-762203",
        settings={"ARCHIVE_FAILED_MAX_RATIO": 0.5},
    )
    assert lenient.exit_status == 0  # the same block, within what the user allows


def test_a_page_that_names_another_story_is_kept_as_its_urls_and_shown(
    replica, archive_dir
) -> None:
    # The story at 763601's address is 763600's page (canonical link, code):
    # the format keeps it as 763601's story; the run names it for a person.
    other = make_story(763600)
    replica.set_page(763601, render_page(other, base_url=replica.url))
    result = crawl_cli("stories", replica.url, archive_dir, codes="763601")
    assert result.exit_status == 0, result.log
    assert [r["story_code"] for r in result.records()] == [763601]
    assert (
        "  pages that name another story's code (kept as their URL's story), e.g. codes 763601"
        in result.log.splitlines()
    )
    summary = json.loads(sorted((archive_dir / "runs").glob("*.json"))[-1].read_text("utf-8"))
    assert summary["samples"]["code_conflict"] == [763601]


def test_the_persian_edition_is_archived_with_its_own_urls_and_language(
    replica, archive_dir
) -> None:
    stories = [
        make_story(763000, language="fa"),
        make_story(763001, language="fa", layout="iransamaneh"),
        make_story(763002, language="fa", layout="newsstudio-current"),
    ]
    replica.add_stories(stories)
    result = crawl(
        "stories", replica.url, archive_dir, settings={"SITE_LANGUAGE": "fa"}, codes="763000-763002"
    )
    assert result.exit_status == 0, result.summary()
    records = {r["story_code"]: without_crawl_time(r) for r in result.records()}
    for story in stories:
        assert records[story.code] == story.expected_record(replica.url)
        assert records[story.code]["language"] == "fa"
    assert replica.count("/fa/news/763000") == 1


def test_archive_status_shows_layouts_and_failed_codes(replica, archive_dir) -> None:
    replica.add_stories([make_story(764000), make_story(764001, layout="redesigned")])
    replica.set_fault(764002, "status", status=500, times=100)
    replica.set_blocked(764003, "challenge", status=403)
    crawl("stories", replica.url, archive_dir, codes="764000-764003")
    shown = scrapy_command("archive-status", "--dir", str(archive_dir))
    assert shown.returncode == 0, shown.stderr
    assert "764002" in shown.stdout and "HTTP 500" in shown.stdout
    assert "  blocked codes (first 1): 764003 challenge (HTTP 403)\n" in shown.stdout
    assert "newsstudio-classic" in shown.stdout or "iransamaneh" in shown.stdout
    status = json.loads(
        scrapy_command("archive-status", "--dir", str(archive_dir), "--json").stdout
    )
    assert status["failed"][0]["code"] == 764002
    assert [entry["code"] for entry in status["blocked"]] == [764003]
    assert status["recent_runs"][0]["unrecognized"] == 1
