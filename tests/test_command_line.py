"""The command line's contract: a bad setting, argument or option stops a
command before it does anything, with one line naming it and exit status 2;
``scrapy fetch``, ``parse``, ``shell``, ``view`` and ``runspider`` never touch
the archive."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler.checks import PROJECT_PREFIXES, check_settings, parsers_for
from crawler.ledger import SQLiteLedger
from tests.crawling import ROOT, SCRAPY, TEST_SETTINGS, crawl_cli, scrapy_command
from tests.replica import ReplicaSite, make_story

CODE = 480000


def site_settings(replica: ReplicaSite, archive_dir: Path) -> list[str]:
    settings = {**TEST_SETTINGS, "SITE_URL": replica.url, "ARCHIVE_DIR": str(archive_dir)}
    return [arg for key, value in settings.items() for arg in ("-s", f"{key}={value}")]


def refused_line(result) -> str:
    """The one line a refused command prints, after checking it is the only output."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("ARCHIVE_FAILED_MAX_RATIO", "abc", "'abc' is not a number"),
        ("ARCHIVE_FAILED_MAX_RATIO", "1.5", "'1.5' is not a ratio between 0 and 1"),
        ("LATEST_PROBE_MISSES", "abc", "'abc' is not a whole number"),
        ("LATEST_PROBE_MISSES", "-1", "'-1' is negative"),
        ("ARCHIVE_NOT_FOUND_RECHECK_DAYS", "a week", "'a week' is not a number"),
        ("ARCHIVE_NOT_FOUND_RECHECK_DAYS", "inf", "'inf' is not a finite number"),
        ("ARCHIVE_FIELD_MISSING_MAX_RATIO", '{"kicker": 2}', "kicker: 2 is not a ratio"),
        ("ARCHIVE_FIELD_MISSING_MAX_RATIO", "kicker=1", "'kicker=1' is not a JSON object"),
        ("ARCHIVE_FIELD_MISSING_MAX_RATIO", '{"kiker": 1}', "(did you mean kicker?)"),
        ("SITE_LANGUAGE", "English", "'English' is not a language code"),
        ("SITE_LANGUAGE", "xx", "'xx' is not an edition this project reads (en, fa)"),
        ("SITE_URL", "http://127.0.0.1:99999", "has no usable port (0 to 65535)"),
        ("SITE_URL", "http://127.0.0.1:8080/en/", "ends with the edition /en"),
        ("SITE_URL", "http://127.0.0.1:8080?x=1", "has a query or a fragment"),
        ("SITE_URL", "http://127.0.0.1:8080#top", "has a query or a fragment"),
        ("SITE_URL", "http://me:secret@127.0.0.1:8080", "'http://127.0.0.1:8080' has a user name"),
        ("CONCURRENT_REQUESTS", "0", "'0' is below 1"),
        ("DOWNLOAD_DELAY", "-1", "'-1' is negative"),
        ("DOWNLOAD_TIMEOUT", "soon", "'soon' is not a number"),
        ("AUTOTHROTTLE_ENABLED", "maybe", "'maybe' is not a boolean"),
        ("RETRY_HTTP_CODES", "500,5O3", "'5O3' is not an HTTP status"),
        ("CLOSESPIDER_ITEMCOUNT", "many", "'many' is not a whole number"),
    ],
)
def test_a_bad_setting_value_exits_2_naming_it(
    replica, archive_dir, setting, value, message
) -> None:
    replica.add_story(make_story(CODE))
    result = scrapy_command(
        "crawl", "stories", "-a", f"codes={CODE}",
        *site_settings(replica, archive_dir), "-s", f"{setting}={value}",
    )  # fmt: skip
    line = refused_line(result)
    assert line.startswith(f"scrapy crawl: setting {setting}: "), line
    assert message in line
    assert replica.requests_total() == 0
    assert not archive_dir.exists()


@pytest.mark.parametrize(
    "setting",
    ["EXTENSIONS", "ITEM_PIPELINES", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES"],
)
def test_an_unknown_component_exits_2_naming_the_setting_and_path(
    replica, archive_dir, setting
) -> None:
    result = scrapy_command(
        "crawl", "latest", *site_settings(replica, archive_dir),
        "-s", setting + '={"crawler.nowhere.Missing": 100}',
    )  # fmt: skip
    line = refused_line(result)
    assert line.startswith(
        f"scrapy crawl: setting {setting}: cannot load 'crawler.nowhere.Missing' "
    ), line
    assert replica.requests_total() == 0
    assert not archive_dir.exists()


def test_an_unknown_download_handler_exits_2(replica, archive_dir) -> None:
    result = scrapy_command(
        "crawl", "latest", *site_settings(replica, archive_dir),
        "-s", 'DOWNLOAD_HANDLERS={"http": "crawler.nowhere.Handler"}',
    )  # fmt: skip
    assert refused_line(result).startswith(
        "scrapy crawl: setting DOWNLOAD_HANDLERS: cannot load 'crawler.nowhere.Handler' "
    )
    assert not archive_dir.exists()


def test_a_mistyped_project_setting_exits_2_instead_of_being_ignored(replica, archive_dir):
    result = scrapy_command(
        "crawl", "latest", *site_settings(replica, archive_dir),
        "-s", "ARCHIVE_FAILED_MAX_RATO=0.5",
    )  # fmt: skip
    assert refused_line(result) == (
        "scrapy crawl: setting ARCHIVE_FAILED_MAX_RATO is not a setting of this project "
        "(did you mean ARCHIVE_FAILED_MAX_RATIO?)"
    )
    assert not archive_dir.exists()


@pytest.mark.parametrize(
    ("spider", "argument", "expected"),
    [
        (
            "latest",
            "refesh=7d",
            "scrapy crawl: spider latest has no argument -a refesh (did you mean refresh?); "
            "it accepts: refresh",
        ),
        (
            "stories",
            "code=5",
            "scrapy crawl: spider stories has no argument -a code (did you mean codes?); "
            "it accepts: codes, codes_file, refresh",
        ),
        (
            "stories",
            "everything=yes",
            "scrapy crawl: spider stories has no argument -a everything; "
            "it accepts: codes, codes_file, refresh",
        ),
    ],
)
def test_an_unknown_spider_argument_exits_2(
    replica, archive_dir, spider, argument, expected
) -> None:
    result = scrapy_command("crawl", spider, "-a", argument, *site_settings(replica, archive_dir))
    assert refused_line(result) == expected
    assert replica.requests_total() == 0
    assert not archive_dir.exists()


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["crawl", "stories", "--cdes=5"], "scrapy crawl: unknown option --cdes"),
        (["crawl", "stories", "latest"], "scrapy crawl: unexpected argument 'latest'"),
        (["crawl"], "scrapy crawl: give the spider to run: scrapy crawl <spider>"),
        (
            ["crawl", "storys"],
            "scrapy crawl: no spider 'storys' (did you mean stories?); spiders: latest, stories",
        ),
    ],
)
def test_crawl_refuses_a_bad_command_line_in_one_line(tmp_path, words, expected) -> None:
    archive_dir = tmp_path / "archive"
    result = scrapy_command(*words, "-s", f"ARCHIVE_DIR={archive_dir}")
    assert refused_line(result).startswith(expected)
    assert not archive_dir.exists()


def test_valid_settings_and_arguments_still_run(replica, archive_dir) -> None:
    replica.add_story(make_story(CODE))
    result = crawl_cli(
        "stories",
        replica.url,
        archive_dir,
        settings={
            "ARCHIVE_FAILED_MAX_RATIO": "0.5",
            "ARCHIVE_FIELD_MISSING_MAX_RATIO": json.dumps({"kicker": 1, "source": 0.5}),
            "AUTOTHROTTLE_ENABLED": "false",
            "RETRY_HTTP_CODES": "500,503",
            "SITE_LANGUAGE": "en",
        },
        codes=str(CODE),
        refresh="7d",
    )
    assert result.exit_status == 0, result.log
    assert [record["story_code"] for record in result.records()] == [CODE]


@pytest.fixture
def empty_archive(archive_dir: Path) -> Path:
    archive_dir.mkdir(parents=True)
    SQLiteLedger.in_directory(archive_dir).close()
    return archive_dir


def archive_snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["archive-status", "--jsn"], "scrapy archive-status: unknown option --jsn"),
        (["archive-verify", "--repiar"], "scrapy archive-verify: unknown option --repiar"),
        (["archive-verify", "--dri=/x"], "scrapy archive-verify: unknown option --dri"),
        (["archive-status", "now"], "scrapy archive-status: unexpected argument 'now'"),
    ],
)
def test_archive_commands_refuse_unknown_options_and_arguments(
    empty_archive, words, expected
) -> None:
    before = archive_snapshot(empty_archive)
    result = scrapy_command(*words, "--dir", str(empty_archive))
    assert refused_line(result).startswith(expected)
    assert archive_snapshot(empty_archive) == before


@pytest.mark.parametrize("command", ["archive-status", "archive-verify"])
def test_archive_commands_without_an_archive_say_so_in_one_line(tmp_path, command) -> None:
    missing = tmp_path / "nowhere"
    result = scrapy_command(command, "--dir", str(missing))
    assert refused_line(result) == f"scrapy {command}: no archive in {missing} (no such directory)"
    assert not missing.exists()


ARCHIVE_COMMANDS = sorted(
    path.stem for path in (ROOT / "crawler" / "commands").glob("archive-*.py")
)
# What each command needs besides --dir to do its work on an empty archive.
COMMAND_WORDS = {
    "archive-show": ["406025"],
    "archive-export": ["-o", "{tmp}/out.jsonl"],
    "archive-report": ["-o", "{tmp}/report.html"],
}


@pytest.mark.parametrize("command", ARCHIVE_COMMANDS)
def test_every_archive_command_refuses_a_mistyped_setting(empty_archive, tmp_path, command) -> None:
    before = archive_snapshot(empty_archive)
    words = [word.format(tmp=tmp_path) for word in COMMAND_WORDS.get(command, [])]
    result = scrapy_command(
        command, *words, "--dir", str(empty_archive), "-s", "ARCHIVE_DIRR=/elsewhere"
    )
    assert refused_line(result) == (
        f"scrapy {command}: setting ARCHIVE_DIRR is not a setting of this project"
        " (did you mean ARCHIVE_DIR?)"
    )
    assert archive_snapshot(empty_archive) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == [empty_archive.name]


@pytest.mark.parametrize(
    ("command", "setting", "message"),
    [
        ("archive-reextract", "SITE_LANGUAGE=English", "'English' is not a language code"),
        ("archive-verify", "ARCHIVE_FSYNC_INTERVAL=often", "'often' is not a number"),
    ],
)
def test_archive_commands_refuse_a_setting_that_does_not_parse(
    empty_archive, command, setting, message
) -> None:
    before = archive_snapshot(empty_archive)
    result = scrapy_command(command, "--dir", str(empty_archive), "-s", setting)
    line = refused_line(result)
    assert line.startswith(f"scrapy {command}: setting {setting.split('=')[0]}: "), line
    assert message in line
    assert archive_snapshot(empty_archive) == before


def test_the_monitoring_check_answers_unknown_to_a_mistyped_setting(empty_archive) -> None:
    result = scrapy_command(
        "archive-status", "--check", "--dir", str(empty_archive),
        "-s", "ARCHIVE_CHECK_MAX_SILENSE=2d",
    )  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout == (
        "ARCHIVE UNKNOWN - setting ARCHIVE_CHECK_MAX_SILENSE is not a setting of this project"
        " (did you mean ARCHIVE_CHECK_MAX_SILENCE?)\n"
    )


def scrapy_in(cwd: Path, *words: str) -> subprocess.CompletedProcess[str]:
    """A scrapy command run from ``cwd``, outside the repository: whatever a
    command writes to its current directory lands there, not in the clone."""
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [*SCRAPY, *words], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_an_empty_archive_dir_is_a_usage_error_and_nothing_is_written(replica, tmp_path) -> None:
    replica.add_story(make_story(CODE))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = scrapy_in(
        cwd, "crawl", "stories", "-a", f"codes={CODE}",
        "-s", f"SITE_URL={replica.url}", "-s", "ARCHIVE_DIR=",
    )  # fmt: skip
    assert refused_line(result) == (
        "scrapy crawl: setting ARCHIVE_DIR: '' names no directory"
        " (give one, e.g. archive or /srv/archive)"
    )
    assert list(cwd.iterdir()) == []
    assert replica.requests_total() == 0


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (
            ["-s", "ARCHIVE_DIR="],
            "scrapy archive-status: setting ARCHIVE_DIR: '' names no directory",
        ),
        (["--dir", ""], "scrapy archive-status: --dir is empty: give the archive directory"),
    ],
)
def test_an_empty_archive_directory_is_refused_by_the_archive_commands(
    empty_archive, words, expected
) -> None:
    # Run from inside an archive, and from beside one: an empty name read as
    # the current directory or as the default would find it and exit 0.
    (empty_archive / "archive").mkdir()
    SQLiteLedger.in_directory(empty_archive / "archive").close()
    result = scrapy_in(empty_archive, "archive-status", *words)
    assert refused_line(result).startswith(expected)


def test_archive_commands_still_take_their_options(empty_archive) -> None:
    status = scrapy_command("archive-status", "--json", "--dir", str(empty_archive))
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["codes"] == 0
    verify = scrapy_command("archive-verify", "--repair", "--dir", str(empty_archive))
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.splitlines()[-1].endswith(": clean")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (
            ["parse", "--spider=stories", "{url}"],
            "scrapy parse: spider stories writes the archive and runs only under scrapy crawl; ",
        ),
        (
            ["parse", "--spider=stories", "-a", f"codes={CODE}", "--callback=parse_story", "{url}"],
            "scrapy parse: spider stories writes the archive and runs only under scrapy crawl; ",
        ),
        (["parse", "{url}"], "scrapy parse: no spider of this project parses {url}; "),
        (
            ["fetch", "--spider=latest", "{url}"],
            "scrapy fetch: spider latest writes the archive and runs only under scrapy crawl; "
            "scrapy fetch URL without --spider uses the project's settings",
        ),
        (
            ["fetch", "--spider=stories", "{url}"],
            "scrapy fetch: spider stories writes the archive and runs only under scrapy crawl; ",
        ),
        (["fetch", "--spider=lates", "{url}"], "scrapy fetch: no spider 'lates' (did you mean"),
        (
            ["shell", "--spider=latest", "-c", "response.status", "{url}"],
            "scrapy shell: spider latest writes the archive and runs only under scrapy crawl; ",
        ),
        (
            ["view", "--spider=latest", "{url}"],
            "scrapy view: spider latest writes the archive and runs only under scrapy crawl; ",
        ),
        (
            ["runspider", "spiders/stories.py", "-a", f"codes={CODE}"],
            "scrapy runspider: spider stories writes the archive; run it with "
            "scrapy crawl stories, which checks its arguments and settings",
        ),
    ],
    ids=["parse-stories", "parse-callback", "parse-no-spider", "fetch-latest", "fetch-stories",
         "fetch-unknown", "shell-latest", "view-latest", "runspider-stories"],
)  # fmt: skip
def test_commands_outside_crawl_refuse_the_story_spiders(
    replica, archive_dir, words, expected
) -> None:
    replica.add_story(make_story(CODE))
    url = f"{replica.url}/en/news/{CODE}"
    result = scrapy_command(
        *[word.format(url=url) for word in words], *site_settings(replica, archive_dir)
    )
    assert refused_line(result).startswith(expected.format(url=url))
    assert replica.requests_total() == 0
    assert not archive_dir.exists()


def test_fetch_and_shell_without_a_spider_work_and_leave_no_archive(replica, archive_dir):
    story = replica.add_story(make_story(CODE))
    url = f"{replica.url}/en/news/{CODE}"
    fetched = scrapy_command("fetch", "--nolog", url, *site_settings(replica, archive_dir))
    assert fetched.returncode == 0, fetched.stderr
    assert story.title in fetched.stdout
    shell = scrapy_command(
        "shell", "--nolog", "-c", "response.status", url, *site_settings(replica, archive_dir)
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.strip() == "200"
    assert replica.story_requests(CODE) >= 2
    assert not archive_dir.exists()


def test_the_project_defaults_pass_their_own_checks() -> None:
    project = Settings()
    project.setmodule("crawler.settings", priority="project")
    check_settings(project, project)
    parsers = parsers_for(project)
    numeric = {
        name
        for name in project
        if name.startswith(PROJECT_PREFIXES) and isinstance(project[name], int | float)
    }
    assert numeric and numeric <= set(parsers)
