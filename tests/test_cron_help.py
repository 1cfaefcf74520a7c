"""``-h`` lists each command's arguments, settings and exit statuses."""

from __future__ import annotations

import re
from dataclasses import fields

from crawler.errors import ExitCode
from crawler.help import CRAWL_EXIT_STATUSES
from crawler.items import StoryItem
from tests.crawling import ROOT, scrapy_command


def exit_lines(help_text: str) -> dict[int, str]:
    section = help_text.split("Exit statuses\n", 1)[1].split("\n\n", 1)[0]
    return {int(m[1]): m[2] for m in re.finditer(r"^  (\d+)  (.*)$", section, re.MULTILINE)}


def test_crawl_help_lists_arguments_settings_and_every_exit_status() -> None:
    result = scrapy_command("crawl", "-h")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for argument in ("codes=", "codes_file=", "refresh=", "latest"):
        assert argument in text
    for setting in (
        "ARCHIVE_DIR = archive",
        "SITE_URL = ",
        "ARCHIVE_LOCK_WAIT = 0",
        "ARCHIVE_UNREACHABLE_AFTER = 30s",
        "ARCHIVE_FAILED_MAX_RATIO = 0.0",
    ):
        assert setting in text
    assert sorted(exit_lines(text)) == sorted(int(code) for code in ExitCode)
    assert "docs/archive-format.md" in text
    # The layout is kept: one setting per line, not a reflowed paragraph.
    assert "\n  ARCHIVE_LOCK_WAIT = 0\n" in text


def test_every_exit_code_has_a_help_line() -> None:
    assert set(CRAWL_EXIT_STATUSES) == set(ExitCode)


def test_archive_status_help_has_the_check_statuses() -> None:
    result = scrapy_command("archive-status", "-h")
    assert result.returncode == 0, result.stderr
    check_section = result.stdout.split("Exit statuses with --check\n", 1)[1]
    codes = re.findall(r"^  (\d)  (OK|WARNING|CRITICAL|UNKNOWN)", check_section, re.MULTILINE)
    assert codes == [("0", "OK"), ("1", "WARNING"), ("2", "CRITICAL"), ("3", "UNKNOWN")]
    assert "ARCHIVE_CHECK_MAX_SILENCE = 24h" in result.stdout
    assert "--check" in result.stdout


def test_archive_runs_help_lists_its_arguments() -> None:
    result = scrapy_command("archive-runs", "-h")
    assert result.returncode == 0, result.stderr
    assert "--last N" in result.stdout and "--json" in result.stdout
    assert exit_lines(result.stdout).keys() == {0, 2}


def test_the_format_document_describes_every_field_of_a_record() -> None:
    document = (ROOT / "docs" / "archive-format.md").read_text("utf-8")
    assert "format 1.1" in document
    documented = set(re.findall(r"^\| `(\w+)` \|", document, re.MULTILINE))
    assert {field.name for field in fields(StoryItem)} <= documented
