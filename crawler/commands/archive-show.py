"""``scrapy archive-show CODE [--all-revisions] [--json]``: one story, read
through the ledger's offsets (one seek, however large the archive).

Exit status: 0 shown, 1 the story is not archived (one line says what the
ledger knows of it), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from scrapy.exceptions import UsageError

from crawler.archive.command import ArchiveCommand
from crawler.archive.read import ArchiveReader, RecordMissing
from crawler.help import command_help, keep_layout

_HEADER_FIELDS = (
    ("published", "published_at"),
    ("source", "source"),
    ("section", "section"),
    ("kicker", "kicker"),
    ("url", "url"),
    ("tags", "tags"),
    ("images", "images"),
    ("crawled", "crawled_at"),
    ("layout", "layout"),
    ("sha256", "content_sha256"),
    ("previous", "previous_sha256"),
)


def format_record(record: dict[str, Any], of: int | None = None) -> str:
    """A record for people: the title, the metadata, then lead and body.

    >>> print(format_record({"story_code": 5, "revision": 1, "title": "T",
    ...     "published_at": "2024-01-14T09:41:00+03:30", "tags": ["a", "b"],
    ...     "lead": None, "body": "B"}))
    Story 5, revision 1
    T
      published  2024-01-14T09:41:00+03:30
      tags       a, b
    <BLANKLINE>
    B
    """
    revision = record.get("revision") or 1
    heading = f"Story {record.get('story_code')}, revision {revision}"
    if of is not None:
        heading += f" of {of}" + (" (current)" if revision == of else "")
    lines = [heading, str(record.get("title") or "(no title)")]
    for label, key in _HEADER_FIELDS:
        value = record.get(key)
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        if value:
            lines.append(f"  {label:<10} {value}")
    for key in ("lead", "body"):
        if record.get(key):
            lines += ["", str(record[key])]
    return "\n".join(lines)


def parse_code(text: str) -> int:
    """
    >>> parse_code("406025")
    406025
    >>> parse_code("x1")
    Traceback (most recent call last):
    ...
    scrapy.exceptions.UsageError: 'x1' is not a story code (a positive whole number)
    """
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"{text!r} is not a story code (a positive whole number)")
    return int(text)


class Command(ArchiveCommand):
    positional_arguments = 1  # the story code

    def syntax(self) -> str:
        return "CODE [--all-revisions] [--json] [--dir DIR]"

    def short_desc(self) -> str:
        return "Print the current revision of a story (or all of them) from the archive"

    def long_desc(self) -> str:
        return (
            "Print the current revision of a story, found through the ledger's offsets "
            "(one seek, however large the archive). --all-revisions prints every revision, "
            "oldest first; --json prints the archive's own JSON lines."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        keep_layout(
            parser,
            command_help(
                settings=["ARCHIVE_DIR"],
                exit_statuses={
                    0: "shown",
                    1: "the story is not archived (the line says what the ledger"
                    " knows), or its line is missing",
                    2: "bad arguments, or no archive in the directory",
                    7: "the ledger is damaged or a file cannot be read",
                },
            ),
        )
        parser.add_argument(
            "--all-revisions", action="store_true", help="every revision, oldest first"
        )

    def run_archive(self, args: list[str], opts: argparse.Namespace) -> int:
        if len(args) != 1:
            raise UsageError("give exactly one story code")
        code = parse_code(args[0])
        with ArchiveReader(self.archive_dir(opts)) as reader:
            try:
                if opts.all_revisions:
                    records = reader.revisions(code)
                else:
                    current = reader.current(code)
                    records = [current] if current else []
            except RecordMissing as exc:
                print(f"scrapy archive-show: {exc}", file=sys.stderr)
                return 1
            if not records:
                state = reader.state_of(code)
                known = f"the ledger has it as {state}" if state else "never asked for"
                print(f"scrapy archive-show: story {code} is not archived ({known})")
                return 1
        if opts.json:
            for record in records:
                print(json.dumps(record, ensure_ascii=False))
            return 0
        of = records[-1].get("revision") or 1
        print("\n\n".join(format_record(record, of) for record in records))
        return 0
