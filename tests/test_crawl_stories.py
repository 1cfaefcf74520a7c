"""``scrapy crawl stories`` end to end against the replica site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.ledger import SQLiteLedger, State
from tests.crawling import archive_records, crawl, crawl_cli
from tests.replica import ReplicaSite, make_story

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = {
    406025: "story-406025",
    412380: "story-412380-iransamaneh-variant",
}


def without_crawl_time(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "crawled_at"}


def ledger_state(archive_dir: Path, code: int):
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        return ledger.get(code)
    finally:
        ledger.close()


@pytest.fixture
def shared_pages(replica: ReplicaSite) -> ReplicaSite:
    for code, name in SHARED.items():
        replica.set_page(code, (FIXTURES / "pages" / f"{name}.html").read_bytes())
    return replica


def test_shared_pages_give_exactly_the_expected_records(shared_pages, archive_dir) -> None:
    result = crawl("stories", shared_pages.url, archive_dir, codes="406025,412380")
    assert result.exit_status == 0
    records = {r["story_code"]: r for r in result.records()}
    assert sorted(records) == sorted(SHARED)
    for code, name in SHARED.items():
        expected = json.loads((FIXTURES / "expected" / f"{name}.json").read_text("utf-8"))
        expected["images"] = [shared_pages.url + path for path in expected["images"]]
        got = records[code]
        for field, value in expected.items():
            assert got[field] == value, f"{name}: {field}"
        assert got["revision"] == 1
        assert got["previous_sha256"] is None
        assert got["crawled_at"].endswith("Z")


def test_hundreds_of_generated_pages_of_both_families(replica, archive_dir) -> None:
    stories = [
        replica.add_story(make_story(code, family="AB"[code % 3 == 0]))
        for code in range(500000, 500300)
        if code % 7  # gaps, as on the real site
    ]
    result = crawl("stories", replica.url, archive_dir, codes="500000-500299")
    assert result.exit_status == 0
    records = {r["story_code"]: without_crawl_time(r) for r in result.records()}
    assert len(records) == len(stories)
    for story in stories:
        assert records[story.code] == story.expected_record(replica.url), story.code
    assert result.stat("archive/state/not_found") == 300 - len(stories)


def test_cli_run_with_output_flag_writes_archive_and_export(shared_pages, tmp_path) -> None:
    archive_dir = tmp_path / "archive"
    export = tmp_path / "story.jsonl"
    first = crawl_cli(
        "stories", shared_pages.url, archive_dir, extra=["-O", str(export)], codes="406025"
    )
    assert first.exit_status == 0, first.log
    archived = archive_records(archive_dir)
    exported = [json.loads(line) for line in export.read_text("utf-8").splitlines()]
    assert [r["story_code"] for r in archived] == [406025]
    assert exported == archived
    # A second run over a new code writes a second, differently named file.
    second = crawl_cli("stories", shared_pages.url, archive_dir, codes="412380")
    assert second.exit_status == 0, second.log
    files = sorted(p.name for p in archive_dir.glob("stories-*.jsonl"))
    assert len(files) == 2
    assert "Run " in second.log and "new records 1" in second.log


def test_archive_lines_are_utf8_without_escapes(replica, archive_dir) -> None:
    story = replica.add_story(make_story(600001, title="Zarif: «دیپلماسی» matters — today"))
    crawl("stories", replica.url, archive_dir, codes="600001")
    raw = next(archive_dir.glob("stories-*.jsonl")).read_bytes()
    assert "«دیپلماسی»".encode() in raw
    assert b"\\u" not in raw
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert json.loads(raw)["title"] == story.expected_record(replica.url)["title"]


def test_codes_file_with_comments_and_ranges(replica, archive_dir, tmp_path) -> None:
    replica.add_stories(make_story(code) for code in (700001, 700002, 700005, 700006))
    codes = tmp_path / "codes.txt"
    codes.write_text("# backlog\n700001\n700005-700006  # a range\n\n", "utf-8")
    result = crawl("stories", replica.url, archive_dir, codes_file=str(codes))
    assert result.exit_status == 0
    assert sorted(r["story_code"] for r in result.records()) == [700001, 700005, 700006]
    assert replica.story_requests(700002) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"codes": "abc"}, "'abc' is not a story code"),
        ({"codes": "5-1"}, "reversed"),
        ({"codes_file": "EMPTY"}, "is empty"),
        ({"codes_file": "MISSING"}, "does not exist"),
        ({}, "exactly one of"),
    ],
    ids=["not-a-number", "reversed-range", "empty-file", "missing-file", "no-codes"],
)
def test_bad_arguments_stop_before_any_request(replica, tmp_path, args, message) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\n\n", "utf-8")
    args = {
        key: {"EMPTY": str(empty), "MISSING": str(tmp_path / "missing.txt")}.get(value, value)
        for key, value in args.items()
    }
    archive_dir = tmp_path / "archive"
    result = crawl_cli("stories", replica.url, archive_dir, **args)
    assert result.exit_status == 2
    assert message in result.log.splitlines()[-1]
    assert replica.requests_total() == 0
    assert not archive_dir.exists()


def test_bad_site_url_setting_is_a_usage_error(tmp_path) -> None:
    result = crawl_cli("stories", "ftp://127.0.0.1/", tmp_path / "archive", codes="1")
    assert result.exit_status == 2
    assert "SITE_URL" in result.log.splitlines()[-1]


@pytest.mark.parametrize("kind", ["404", "410", "error_page", "redirect_home"])
def test_missing_story_gives_no_record_and_not_found(replica, archive_dir, kind) -> None:
    replica.set_not_found(800001, kind)
    result = crawl("stories", replica.url, archive_dir, codes="800001")
    assert result.exit_status == 0
    assert result.records() == []
    state = ledger_state(archive_dir, 800001)
    assert state.state is State.NOT_FOUND
    assert state.detail


def test_redirect_to_another_story_archives_that_story_once(replica, archive_dir) -> None:
    target = replica.add_story(make_story(800010))
    replica.set_redirect(800011, 800010)
    replica.set_redirect(800012, 800010)
    result = crawl("stories", replica.url, archive_dir, codes="800010-800012")
    assert result.exit_status == 0
    assert [without_crawl_time(r) for r in result.records()] == [
        target.expected_record(replica.url)
    ]
    for code in (800011, 800012):
        state = ledger_state(archive_dir, code)
        assert (state.state, state.ref_code) == (State.REDIRECTED, 800010)


def test_same_content_under_two_codes_is_archived_once(replica, archive_dir) -> None:
    original = make_story(800020)
    replica.add_story(original)
    replica.add_story(
        make_story(
            800021,
            **{f: getattr(original, f) for f in ("title", "lead", "body", "published", "source")},
        )
    )
    result = crawl("stories", replica.url, archive_dir, codes="800020-800021")
    assert [r["story_code"] for r in result.records()] == [800020]
    assert result.stat("archive/dropped/duplicate_content") == 1
    state = ledger_state(archive_dir, 800021)
    assert (state.state, state.ref_code) == (State.DUPLICATE, 800020)


def test_record_missing_a_required_field_is_rejected_and_counted(replica, archive_dir) -> None:
    page = (FIXTURES / "pages" / "story-406025.html").read_bytes()
    # The template's body slot is there but empty: the layout matches, the field is missing.
    start, end = page.index(b"<article>") + len(b"<article>"), page.index(b"</article>")
    no_body = page[:start] + page[end:]
    replica.set_page(406025, no_body)
    result = crawl("stories", replica.url, archive_dir, codes="406025")
    assert result.records() == []
    assert result.stat("archive/rejected/missing_body") == 1
    assert result.stat("archive/field_missing/body") == 1
    state = ledger_state(archive_dir, 406025)
    assert state.state is State.FAILED
    assert "missing body" in state.detail
    # A required field gone from a known layout is the site's layout changing.
    assert result.exit_status == 8
    assert result.summary()["layout_changed"] == ["body missing on 1 of 1 pages"]


def test_missing_optional_field_is_null_and_counted(replica, archive_dir) -> None:
    replica.add_story(make_story(800030, section=None, kicker=None))
    result = crawl("stories", replica.url, archive_dir, codes="800030")
    (record,) = result.records()
    assert record["section"] is None
    assert result.stat("archive/field_missing/section") == 1


def test_robots_txt_is_obeyed(replica, archive_dir) -> None:
    replica.add_story(make_story(800040))
    replica.robots = "User-agent: *\nDisallow: /en/news/\n"
    result = crawl("stories", replica.url, archive_dir, codes="800040")
    assert replica.story_requests(800040) == 0
    assert ledger_state(archive_dir, 800040).state is State.BLOCKED
    assert result.exit_status == 4


def test_user_agent_names_the_project_and_the_contact_url(replica, archive_dir) -> None:
    replica.add_story(make_story(800050))
    crawl(
        "stories",
        replica.url,
        archive_dir,
        settings={"CONTACT_URL": "https://archive.example/contact"},
        codes="800050",
    )
    (agent,) = replica.user_agents
    assert agent.startswith("story-archive/")
    assert agent.endswith("(+https://archive.example/contact)")


def test_polite_and_safe_defaults() -> None:
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 4
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    handlers = settings.getdict("DOWNLOAD_HANDLERS")
    assert {scheme for scheme, handler in handlers.items() if handler is None} == {
        "file", "data", "ftp", "s3"
    }  # fmt: skip
    assert settings.getint("DOWNLOAD_MAXSIZE") <= 8 * 1024 * 1024
    assert settings.getint("RETRY_TIMES") >= 2
