"""What ``-h`` says: each command's arguments, the settings that matter to it,
and its exit statuses. The commands call :func:`keep_layout` from
``add_options`` (argparse would otherwise reflow the tables into one paragraph)."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Iterable, Mapping

from scrapy.commands import ScrapyHelpFormatter

from crawler import settings as defaults
from crawler.errors import ExitCode


class LayoutHelpFormatter(ScrapyHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Scrapy's headings, with the description and epilog kept line by line."""


def keep_layout(parser: argparse.ArgumentParser, epilog: str) -> None:
    parser.formatter_class = LayoutHelpFormatter
    parser.epilog = epilog


# Every ExitCode, as `scrapy crawl` means it (the README's table, shorter).
CRAWL_EXIT_STATUSES: dict[int, str] = {
    ExitCode.OK: "the run did what it was asked",
    ExitCode.ERROR: "unexpected error (a bug, a broken setting)",
    ExitCode.USAGE: "bad arguments or settings; nothing was requested",
    ExitCode.FAILURES: (
        "finished, but more codes failed or were blocked than ARCHIVE_FAILED_MAX_RATIO allows"
    ),
    ExitCode.UNREACHABLE: "the site is unreachable or blocking us",
    ExitCode.INTERRUPTED: (
        "interrupted (SIGTERM/SIGINT/SIGHUP); the next run fetches what is unfinished"
    ),
    ExitCode.LOCKED: "another run holds the archive lock (see ARCHIVE_LOCK_WAIT)",
    ExitCode.STORAGE: "the archive could not be written (disk full, read-only)",
    ExitCode.LAYOUT_CHANGED: "pages no layout understands: the site's layout changed",
}

# The monitoring-plugin convention (Nagios, Icinga, Zabbix, ...).
CHECK_EXIT_STATUSES: dict[int, str] = {
    0: "OK",
    1: "WARNING: failed or blocked codes over ARCHIVE_CHECK_MAX_FAILED, free disk under"
    " ARCHIVE_CHECK_MIN_FREE, or the last run exited 3, 4 or 5 or was killed",
    2: "CRITICAL: no new story for ARCHIVE_CHECK_MAX_SILENCE, or the last run exited 1, 2, 7 or 8",
    3: "UNKNOWN: the archive cannot be read, or no run is recorded",
}

SETTINGS_HELP: dict[str, str] = {
    "ARCHIVE_DIR": "where the archive, its ledger and runs/ live",
    "SITE_URL": "the site (or a mirror of it)",
    "SITE_LANGUAGE": "the edition: stories at {SITE_URL}/{SITE_LANGUAGE}/news/{code}",
    "STORY_LAYOUTS": "the page objects the extractor tries, in order (import paths)",
    "ARCHIVE_MAX_TITLE_LENGTH": "a longer title is refused (its code is failed)",
    "FEED_EXPORT_FIELDS": "the fields exported, in order (default: all of the record's)",
    "ARCHIVE_FAILED_MAX_RATIO": "share of failed or blocked codes above which a run exits 3",
    "ARCHIVE_NOT_FOUND_RECHECK_DAYS": "days before a not_found code is asked again",
    "ARCHIVE_PROGRESS_INTERVAL": "seconds between progress lines",
    "ARCHIVE_STOP_TIMEOUT": "seconds in-flight requests get after SIGTERM",
    "ARCHIVE_LOCK_WAIT": "wait this long (30m, 2h) for another run's lock instead of exiting 6",
    "ARCHIVE_UNREACHABLE_AFTER": "no answer at all for this long: stop with exit 4",
    "ARCHIVE_LOG_QUIET": "Scrapy's own start-up/shutdown messages at DEBUG only",
    "ARCHIVE_LOG_FAILED_MAX": "failed codes logged one per line, then '... and N more'",
    "LATEST_PROBE_MISSES": "latest: codes in a row that are not stories before it stops",
    "LOG_FILE": "log here instead of stderr (its directory is created)",
    "LOG_LEVEL": "INFO: start, warnings, failures, progress, summary; DEBUG: all",
    "ARCHIVE_CHECK_MAX_SILENCE": "--check: CRITICAL when the newest story is older (24h, 2d)",
    "ARCHIVE_CHECK_MAX_FAILED": "--check: WARNING above this many failed or blocked codes",
    "ARCHIVE_CHECK_MIN_FREE": "--check: WARNING below this much free disk (2G, 5%)",
}

CRAWL_SETTINGS = (
    "ARCHIVE_DIR",
    "SITE_URL",
    "ARCHIVE_FAILED_MAX_RATIO",
    "ARCHIVE_NOT_FOUND_RECHECK_DAYS",
    "ARCHIVE_PROGRESS_INTERVAL",
    "ARCHIVE_STOP_TIMEOUT",
    "ARCHIVE_LOCK_WAIT",
    "ARCHIVE_UNREACHABLE_AFTER",
    "ARCHIVE_LOG_QUIET",
    "ARCHIVE_LOG_FAILED_MAX",
    "LATEST_PROBE_MISSES",
    "LOG_FILE",
    "LOG_LEVEL",
)


def _indented(text: str) -> str:
    return textwrap.fill(text, width=79, initial_indent=" " * 6, subsequent_indent=" " * 6)


def settings_section(names: Iterable[str], descriptions: Mapping[str, str] = SETTINGS_HELP) -> str:
    """Settings with their project defaults, for ``-s NAME=VALUE``.

    >>> print(settings_section(["ARCHIVE_LOCK_WAIT"]))
    Settings (-s NAME=VALUE)
      ARCHIVE_LOCK_WAIT = 0
          wait this long (30m, 2h) for another run's lock instead of exiting 6
    """
    lines = ["Settings (-s NAME=VALUE)"]
    for name in names:
        default = getattr(defaults, name, None)
        shown = "(unset)" if default is None else str(default)
        lines += [f"  {name} = {shown}", _indented(descriptions[name])]
    return "\n".join(lines)


def exit_section(statuses: Mapping[int, str]) -> str:
    """
    >>> print(exit_section({0: "fine", 6: "locked"}))
    Exit statuses
      0  fine
      6  locked
    """
    lines = ["Exit statuses"]
    for code, text in sorted(statuses.items()):
        lines.append(
            textwrap.fill(
                f"{int(code)}  {text}", 79, initial_indent="  ", subsequent_indent=" " * 5
            )
        )
    return "\n".join(lines)


def arguments_section(title: str, arguments: Iterable[tuple[str, str]]) -> str:
    """
    >>> print(arguments_section("Arguments", [("--dir DIR", "archive directory")]))
    Arguments
      --dir DIR
          archive directory
    """
    lines = [title]
    for name, text in arguments:
        lines += [f"  {name}", _indented(text)]
    return "\n".join(lines)


def command_help(
    *,
    arguments: Iterable[tuple[str, str]] = (),
    settings: Iterable[str] = (),
    exit_statuses: Mapping[int, str],
    setting_descriptions: Mapping[str, str] = SETTINGS_HELP,
) -> str:
    """An epilog for any archive-* command: its arguments, settings, exit statuses."""
    sections = []
    arguments = list(arguments)
    if arguments:
        sections.append(arguments_section("Arguments", arguments))
    settings = list(settings)
    if settings:
        sections.append(settings_section(settings, setting_descriptions))
    sections.append(exit_section(exit_statuses))
    return "\n\n".join(sections)


def crawl_description() -> str:
    return (
        "Archive stories by code. Records are appended to ARCHIVE_DIR; the ledger\n"
        "there remembers every code, so a code already settled is not fetched again.\n"
        "\n"
        "  scrapy crawl stories -a codes=406025,406030-406040\n"
        "  scrapy crawl stories -a codes_file=codes.txt\n"
        "  scrapy crawl latest [-a refresh=7d]"
    )


def crawl_epilog() -> str:
    spiders = arguments_section(
        "Spiders and their arguments (-a NAME=VALUE)",
        [
            ("stories -a codes=LIST", "codes and inclusive ranges: 406025,406030-406040"),
            ("stories -a codes_file=FILE", "one code or range per line, '#' comments"),
            ("latest", "whatever was published since the last run (home page, feed, probing)"),
            (
                "-a refresh=AGE",
                "both spiders: re-fetch stories published in the last AGE"
                " (12h, 7d, 2w); a changed story gets a new revision",
            ),
        ],
    )
    return "\n\n".join(
        [
            spiders,
            settings_section(CRAWL_SETTINGS),
            exit_section(CRAWL_EXIT_STATUSES),
            "Each run writes runs/<run_id>.json; see `scrapy archive-runs`. The record\n"
            "format is docs/archive-format.md.",
        ]
    )


CHECK_OPTION_HELP = (
    "monitoring check: print one line (ARCHIVE OK/WARNING/CRITICAL/UNKNOWN - ...) and exit 0/1/2/3"
)

DIR_ARGUMENT = ("--dir DIR", "the archive directory (default: the ARCHIVE_DIR setting)")
JSON_ARGUMENT = ("--json", "print JSON for machines")
NO_ARCHIVE_EXIT = {2: "bad arguments, or no archive in the directory"}


def status_epilog() -> str:
    return "\n\n".join(
        [
            command_help(
                arguments=[
                    DIR_ARGUMENT,
                    JSON_ARGUMENT,
                    ("--check", CHECK_OPTION_HELP),
                ],
                settings=[
                    "ARCHIVE_DIR",
                    "ARCHIVE_CHECK_MAX_SILENCE",
                    "ARCHIVE_CHECK_MAX_FAILED",
                    "ARCHIVE_CHECK_MIN_FREE",
                ],
                exit_statuses={
                    0: "the status was printed (also while a run holds the lock)",
                    **NO_ARCHIVE_EXIT,
                    7: "the ledger is damaged (`scrapy archive-verify --repair` rebuilds it"
                    " from the archive files), or a file cannot be read",
                },
            ),
            exit_section(CHECK_EXIT_STATUSES).replace(
                "Exit statuses", "Exit statuses with --check"
            ),
            "Silence is measured from the publication time of the newest archived story.\n"
            "The last run is the newest file in runs/; a run still 'running' whose lock\n"
            "is free never finished (killed).",
        ]
    )


def runs_epilog() -> str:
    return command_help(
        arguments=[
            DIR_ARGUMENT,
            JSON_ARGUMENT,
            ("--last N", "only the N most recent runs (default 20; 0: all)"),
        ],
        settings=["ARCHIVE_DIR"],
        exit_statuses={0: "the runs were listed", **NO_ARCHIVE_EXIT},
    )


def verify_epilog() -> str:
    """For ``archive-verify`` (its own command calls it from ``add_options``)."""
    return command_help(
        arguments=[
            DIR_ARGUMENT,
            JSON_ARGUMENT,
            (
                "--repair",
                "fix what the archive itself can fix (torn lines to torn/, ledger"
                " rebuilt from the files)",
            ),
        ],
        settings=["ARCHIVE_DIR"],
        exit_statuses={
            0: "clean",
            1: "problems remain",
            **NO_ARCHIVE_EXIT,
            6: "a run holds the archive lock",
        },
    )
