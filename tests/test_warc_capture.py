"""WARC capture during real crawls of the replica: every kind of answer is
kept as the server sent it, warcio's own tools open every file, re-fetched
identical pages become revisits, and verification catches a changed byte."""

from __future__ import annotations

import gzip
import subprocess
import sys
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.ledger import SQLiteLedger, State
from crawler.warc.records import parse_metadata_fields
from crawler.warc.verify import verify_warc
from tests.crawling import crawl, scrapy_command
from tests.replica import ReplicaSite, make_story
from tests.replica.render import render_page

WARCIO = [sys.executable, "-m", "warcio.cli"]


@dataclass(frozen=True)
class Answers:
    """Codes of every kind the replica serves in ``every_kind_of_answer``."""

    stories: tuple[int, ...] = tuple(range(700000, 700012))
    gzipped: int = 700012  # a story sent gzip-encoded
    not_found: int = 700013  # 404
    gone: int = 700014  # 410
    error_page: int = 700015  # 200 error page
    redirect_home: int = 700016  # 302 to the home page
    redirect_story: int = 700017  # 301 to story 700003
    retried: int = 700018  # 503 twice, then the story
    failing: int = 700019  # 503 after every retry

    @property
    def spec(self) -> str:
        return f"{self.stories[0]}-{self.failing}"


ANSWERS = Answers()


def every_kind_of_answer(site: ReplicaSite) -> None:
    """Serve stories, a gzip-encoded story, 404, 410, an error page, redirects,
    a 503 that heals and one that does not."""
    site.add_stories(make_story(code, family="AB"[code % 2]) for code in ANSWERS.stories)
    gzipped = make_story(ANSWERS.gzipped)
    site.set_page(
        ANSWERS.gzipped,
        gzip.compress(render_page(gzipped, base_url=site.url)),
        headers={"Content-Encoding": "gzip"},
    )
    site.set_not_found(ANSWERS.not_found, "404")
    site.set_not_found(ANSWERS.gone, "410")
    site.set_not_found(ANSWERS.error_page, "error_page")
    site.set_not_found(ANSWERS.redirect_home, "redirect_home")
    site.set_redirect(ANSWERS.redirect_story, ANSWERS.stories[3])
    site.add_story(make_story(ANSWERS.retried))
    site.set_fault(ANSWERS.retried, "status", status=503, times=2)
    site.set_fault(ANSWERS.failing, "status", status=503)


def warc_paths(archive_dir: Path) -> list[Path]:
    return sorted((archive_dir / "warc").glob("*.warc.gz"))


def records(archive_dir: Path) -> list[tuple[Path, object]]:
    """Every record of every file, with its HTTP payload read (as stored)."""
    out = []
    for path in warc_paths(archive_dir):
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                record.stored = record.raw_stream.read()
                out.append((path, record))
    return out


def outcomes(archive_dir: Path) -> dict[int, list[dict[str, str]]]:
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    for _, record in records(archive_dir):
        if record.rec_type == "metadata":
            fields = parse_metadata_fields(record.stored)
            found[int(fields["story-code"])].append(fields)
    return found


def assert_standard_tools_open(archive_dir: Path) -> None:
    paths = warc_paths(archive_dir)
    assert paths
    for path in paths:
        check = subprocess.run([*WARCIO, "check", "-v", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "digest pass" in check.stdout
        index = subprocess.run([*WARCIO, "index", str(path)], capture_output=True, text=True)
        assert index.returncode == 0, index.stderr
        assert index.stdout.count("\n") >= 2


def ledger_states(archive_dir: Path) -> dict[int, State]:
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        low, high = ledger.code_range()
        return {code: s.state for code, s in ledger.states_between(low, high).items()}
    finally:
        ledger.close()


@pytest.fixture
def answered(replica: ReplicaSite, archive_dir: Path) -> Path:
    every_kind_of_answer(replica)
    result = crawl("stories", replica.url, archive_dir, codes=ANSWERS.spec)
    assert result.exit_status == 3, result.log  # the permanent 503 fails, as it should
    # 20 codes, and the story the redirect led to, reached a second time.
    assert result.stat("archive/warc/outcomes") == 21
    return archive_dir


def test_every_answer_is_captured_and_standard_tools_open_the_files(replica, answered) -> None:
    assert_standard_tools_open(answered)
    assert verify_warc(answered, ANSWERS.stories) == []
    by_type: dict[str, list] = defaultdict(list)
    for _, record in records(answered):
        by_type[record.rec_type].append(record)
    statuses = defaultdict(list)
    for record in (r for _, r in records(answered) if r.rec_type in ("response", "revisit")):
        uri = record.rec_headers.get_header("WARC-Target-URI")
        statuses[uri.removeprefix(replica.url)].append(int(record.http_headers.get_statuscode()))
    assert statuses["/robots.txt"] == [200]
    assert statuses[f"/en/news/{ANSWERS.not_found}"] == [404]
    assert statuses[f"/en/news/{ANSWERS.gone}"] == [410]
    assert statuses[f"/en/news/{ANSWERS.error_page}"] == [200]
    assert statuses[f"/en/news/{ANSWERS.redirect_home}"] == [302]  # before it was followed
    assert statuses[f"/en/news/{ANSWERS.redirect_story}"] == [301]
    assert statuses[f"/en/news/{ANSWERS.retried}"] == [503, 503, 200]  # every attempt
    assert statuses[f"/en/news/{ANSWERS.failing}"] == [503] * 5
    # Every response has its request record, pointing at it.
    responses = {r.rec_headers.get_header("WARC-Record-ID") for r in by_type["response"]}
    responses |= {r.rec_headers.get_header("WARC-Record-ID") for r in by_type["revisit"]}
    concurrent = {r.rec_headers.get_header("WARC-Concurrent-To") for r in by_type["request"]}
    assert concurrent == responses
    assert all(r.rec_headers.protocol == "WARC/1.1" for _, r in records(answered))


def test_a_gzip_encoded_page_is_kept_as_sent(replica, answered) -> None:
    [stored] = [
        record
        for _, record in records(answered)
        if record.rec_type == "response"
        and record.rec_headers.get_header("WARC-Target-URI").endswith(f"/{ANSWERS.gzipped}")
    ]
    assert stored.http_headers.get_header("Content-Encoding") == "gzip"
    page = render_page(make_story(ANSWERS.gzipped), base_url=replica.url)
    assert gzip.decompress(stored.stored) == page


def test_each_settled_code_has_its_outcome(answered) -> None:
    found = outcomes(answered)
    states = ledger_states(answered)
    assert set(found) == set(states)
    for code, state in states.items():
        assert found[code][-1]["outcome"] == state.value, code
    assert found[ANSWERS.redirect_story][-1]["ref-code"] == str(ANSWERS.stories[3])
    assert found[ANSWERS.failing][-1]["detail"] == "HTTP 503"
    assert {fields["run-id"] for fields in found[ANSWERS.stories[0]]} == {
        path.name.split("-", 2)[2].rsplit("-", 1)[0] for path in warc_paths(answered)
    }


def test_refetched_identical_pages_become_revisits(replica, answered) -> None:
    first = set(warc_paths(answered))
    again = crawl("stories", replica.url, answered, codes=ANSWERS.spec, refresh="100000d")
    assert again.stat("archive/records/unchanged") == len(ANSWERS.stories) + 2
    assert again.stat("archive/warc/revisits") >= len(ANSWERS.stories) + 2
    originals = {
        r.rec_headers.get_header("WARC-Record-ID"): r
        for path, r in records(answered)
        if path in first and r.rec_type == "response"
    }
    revisits = [r for path, r in records(answered) if path not in first and r.rec_type == "revisit"]
    story_paths = {f"/en/news/{code}" for code in ANSWERS.stories}
    seen = set()
    for revisit in revisits:
        headers = revisit.rec_headers
        assert headers.get_header("WARC-Profile") == (
            "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
        )
        original = originals[headers.get_header("WARC-Refers-To")]
        assert headers.get_header("WARC-Payload-Digest") == original.rec_headers.get_header(
            "WARC-Payload-Digest"
        )
        assert headers.get_header("WARC-Refers-To-Target-URI") == original.rec_headers.get_header(
            "WARC-Target-URI"
        )
        assert headers.get_header("WARC-Refers-To-Date") == original.rec_headers.get_header(
            "WARC-Date"
        )
        seen.add(headers.get_header("WARC-Target-URI").removeprefix(replica.url))
    assert story_paths <= seen
    assert_standard_tools_open(answered)
    assert verify_warc(answered, ANSWERS.stories) == []


def test_files_rotate_at_the_size_limit(replica, archive_dir) -> None:
    replica.add_stories(make_story(code) for code in range(710000, 710030))
    result = crawl(
        "stories",
        replica.url,
        archive_dir,
        codes="710000-710029",
        settings={"ARCHIVE_WARC_MAX_BYTES": 40_000},
    )
    assert result.exit_status == 0
    paths = warc_paths(archive_dir)
    assert len(paths) > 3
    for path in paths[:-1]:
        assert path.stat().st_size <= 40_000 + 20_000  # one capture may overflow a fresh file
    assert [p.name.rsplit("-", 1)[1] for p in paths] == [
        f"{n:05d}.warc.gz" for n in range(len(paths))
    ]
    for path in paths:
        with path.open("rb") as handle:
            assert next(iter(ArchiveIterator(handle))).rec_type == "warcinfo"
    assert_standard_tools_open(archive_dir)
    assert verify_warc(archive_dir, range(710000, 710030)) == []


def test_capture_can_be_turned_off(replica, archive_dir) -> None:
    replica.add_story(make_story(720000))
    result = crawl(
        "stories", replica.url, archive_dir, codes="720000", settings={"ARCHIVE_WARC": False}
    )
    assert result.exit_status == 0
    assert [r["story_code"] for r in result.records()] == [720000]
    assert not (archive_dir / "warc").exists()


def _change_one_letter(path: Path, offset: int) -> None:
    """Change the first letter of the first paragraph inside one gzip member,
    and recompress it: the gzip layer is sound, only the WARC digests can tell."""
    data = path.read_bytes()
    member = zlib.decompressobj(31)
    plain = member.decompress(data[offset:])
    rest = member.unused_data
    at = plain.index(b"<p>") + 3
    changed = plain[:at] + plain[at : at + 1].swapcase() + plain[at + 1 :]
    assert changed != plain
    path.write_bytes(data[:offset] + gzip.compress(changed) + rest)


def test_verification_catches_a_changed_byte(replica, answered) -> None:
    code = ANSWERS.stories[5]
    for path in warc_paths(answered):
        with path.open("rb") as handle:
            iterator = ArchiveIterator(handle)
            for record in iterator:
                if record.rec_type == "response" and record.rec_headers.get_header(
                    "WARC-Target-URI"
                ).endswith(f"/{code}"):
                    offset = iterator.get_record_offset()
                    break
            else:
                continue
        break
    original = path.read_bytes()
    _change_one_letter(path, offset)
    problems = verify_warc(answered, ANSWERS.stories)
    assert any("block digest failed" in p for p in problems), problems
    assert any("payload digest failed" in p for p in problems), problems
    check = subprocess.run([*WARCIO, "check", str(path)], capture_output=True, text=True)
    assert check.returncode == 1
    verified = scrapy_command("archive-verify", "--dir", str(answered))
    assert verified.returncode == 1
    assert "block digest failed" in verified.stdout
    path.write_bytes(original)  # the archive fixture verifies it at teardown


def test_an_archived_code_without_its_capture_is_reported(answered) -> None:
    assert verify_warc(answered, [ANSWERS.stories[0], 799999]) == [
        "story 799999: archived, but no WARC response record captures it"
    ]


def test_payload_is_stored_verbatim_even_when_it_is_not_html(replica, archive_dir) -> None:
    replica.set_page(730000, b"\x00\x01binary", headers={"Content-Type": "application/pdf"})
    result = crawl("stories", replica.url, archive_dir, codes="730000")
    # A PDF at a story URL is a page nothing can read: unrecognized, exit 8.
    assert result.exit_status == 8
    [stored] = [
        r
        for _, r in records(archive_dir)
        if r.rec_type == "response" and r.rec_headers.get_header("WARC-Target-URI").endswith("0")
    ]
    assert stored.stored == b"\x00\x01binary"


def test_discovery_pages_are_captured(replica, archive_dir) -> None:
    replica.add_stories(make_story(code) for code in range(740100, 740105))
    result = crawl("latest", replica.url, archive_dir)
    assert result.exit_status == 0, result.log
    captured = {
        r.rec_headers.get_header("WARC-Target-URI").removeprefix(replica.url)
        for _, r in records(archive_dir)
        if r.rec_type == "response"
    }
    assert {"/robots.txt", "/en", "/en/rss/allnews"} <= captured
    assert {f"/en/news/{code}" for code in range(740100, 740105)} <= captured
    assert_standard_tools_open(archive_dir)
    assert verify_warc(archive_dir, range(740100, 740105)) == []


def test_outcomes_name_the_edition_the_story_was_asked_in(replica, archive_dir) -> None:
    replica.add_stories(make_story(code, language="fa") for code in (741000, 741001))
    result = crawl(
        "stories", replica.url, archive_dir, settings={"SITE_LANGUAGE": "fa"}, codes="741000-741001"
    )
    assert result.exit_status == 0, result.log
    targets = {
        r.rec_type: r.rec_headers.get_header("WARC-Target-URI").removeprefix(replica.url)
        for _, r in records(archive_dir)
        if r.rec_type in ("response", "metadata")
        and r.rec_headers.get_header("WARC-Target-URI").endswith("/741001")
    }
    assert targets == {"response": "/fa/news/741001", "metadata": "/fa/news/741001"}
