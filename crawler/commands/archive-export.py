"""``scrapy archive-export [--since DATE] [--until DATE] [--codes SPEC]
[--source NAME] [--all-revisions] -o FILE``: archived stories out through
Scrapy's feed exporters, chosen through the ledger (no scan of the files).

Exit status: 0 written (also when nothing matched: an empty export), 1 the
export could not be written or the ledger points at lines the files lack
(run archive-verify), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import sys
from pathlib import Path
from typing import IO, Any

from scrapy.exceptions import UsageError
from scrapy.utils.conf import feed_process_params_from_cli
from scrapy.utils.misc import load_object

from crawler.archive.command import ArchiveCommand
from crawler.archive.read import ArchiveReader, RecordMissing
from crawler.archive.writer import RECORD_FIELDS
from crawler.codes import CodeSet, CodeSpecError, parse_codes
from crawler.help import command_help, keep_layout


def parse_day(text: str, option: str) -> str:
    """
    >>> parse_day("2024-01-14", "--since")
    '2024-01-14'
    >>> parse_day("14/01/2024", "--since")
    Traceback (most recent call last):
    ...
    scrapy.exceptions.UsageError: --since: '14/01/2024' is not a date (YYYY-MM-DD)
    """
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def export_records(
    records: Any, exporter_class: type, out: IO[bytes], settings: Any, fields: list[str] | None
) -> int:
    exporter = exporter_class(
        out,
        encoding=settings.get("FEED_EXPORT_ENCODING") or "utf-8",
        indent=settings.getint("FEED_EXPORT_INDENT"),
        fields_to_export=fields,
    )
    exporter.start_exporting()
    count = 0
    for record in records:
        exporter.export_item(record)
        count += 1
    exporter.finish_exporting()
    return count


class Command(ArchiveCommand):
    def syntax(self) -> str:
        return (
            "[--since DATE] [--until DATE] [--codes SPEC] [--source NAME] [--all-revisions] -o FILE"
        )

    def short_desc(self) -> str:
        return (
            "Export archived stories (current revisions) in any feed format: jsonl, json, csv, xml"
        )

    def long_desc(self) -> str:
        return (
            "Export the current revision of each archived story chosen (or every revision "
            "with --all-revisions) through Scrapy's feed exporters; the format comes from "
            "FILE's extension or a :FORMAT suffix, as with scrapy crawl -o. Dates are the "
            "story's own (Tehran) publication dates, both ends included. FILE is replaced "
            "only once the export is complete; '-' writes to standard output."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        keep_layout(
            parser,
            command_help(
                settings=["ARCHIVE_DIR", "FEED_EXPORT_FIELDS"],
                exit_statuses={
                    0: "written (also when nothing matched: an empty export)",
                    1: "the export could not be written",
                    2: "bad arguments, or no archive in the directory",
                    7: "the ledger is damaged or a file cannot be read",
                },
            ),
        )
        parser.add_argument("--since", metavar="DATE", help="published on or after (YYYY-MM-DD)")
        parser.add_argument("--until", metavar="DATE", help="published on or before (YYYY-MM-DD)")
        parser.add_argument("--codes", metavar="SPEC", help="codes and ranges: 5,10-20")
        parser.add_argument(
            "--source", metavar="NAME", help="only stories whose source is exactly NAME"
        )
        parser.add_argument(
            "--all-revisions", action="store_true", help="every revision, not only the current"
        )
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="where to write (format from the extension)"
        )

    def run_archive(self, args: list[str], opts: argparse.Namespace) -> int:
        assert self.settings is not None
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        if not opts.output:
            raise UsageError("give the file to write: -o FILE (e.g. -o stories.jsonl)")
        # Standard output has no extension to tell the format: JSON Lines
        # unless a :FORMAT suffix says otherwise.
        output = "-:jsonl" if opts.output == "-" else opts.output
        feeds = feed_process_params_from_cli(self.settings, [output])
        uri, feed = next(iter(feeds.items()))
        since = parse_day(opts.since, "--since") if opts.since else None
        until = parse_day(opts.until, "--until") if opts.until else None
        if since and until and since > until:
            raise UsageError(f"--since {since} is after --until {until}")
        codes: CodeSet | None = None
        if opts.codes:
            try:
                codes = parse_codes(opts.codes)
            except CodeSpecError as exc:
                raise UsageError(str(exc)) from None
        exporter_class = load_object(self.settings.getwithbase("FEED_EXPORTERS")[feed["format"]])
        fields = self.settings.getlist("FEED_EXPORT_FIELDS") or (
            RECORD_FIELDS if feed["format"] == "csv" else None
        )
        directory = self.archive_dir(opts)
        with ArchiveReader(directory) as reader:
            records = reader.select(
                codes=codes,
                since=since,
                until=until,
                source=opts.source,
                all_revisions=opts.all_revisions,
            )
            try:
                if uri == "stdout:":
                    out = sys.stdout.buffer
                    count = export_records(records, exporter_class, out, self.settings, fields)
                    sys.stdout.flush()
                    target = "standard output"
                else:
                    count = self._export_to_file(Path(uri), records, exporter_class, fields)
                    target = uri
            except RecordMissing as exc:
                print(f"scrapy archive-export: {exc}", file=sys.stderr)
                return 1
            except BrokenPipeError:
                if uri != "stdout:":
                    raise
                return reader_went_away()
            except OSError as exc:
                print(f"scrapy archive-export: cannot write {uri}: {exc}", file=sys.stderr)
                return 1
        message = {"records": count, "output": target, "format": feed["format"]}
        print(
            json.dumps(message) if opts.json else f"exported {count} record(s) to {target}",
            file=sys.stderr if uri == "stdout:" else sys.stdout,
        )
        return 0

    def _export_to_file(
        self, path: Path, records: Any, exporter_class: type, fields: list[str] | None
    ) -> int:
        # A half-written export must never look like a finished one.
        partial = path.with_name(f".{path.name}.partial")
        try:
            with partial.open("wb") as out:
                count = export_records(records, exporter_class, out, self.settings, fields)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return count


def reader_went_away() -> int:
    """Standard output's reader stopped reading (``| head``): end quietly, with
    the status of a shell tool that SIGPIPE killed, as ``cat`` would."""
    # Nothing more can reach the pipe; the interpreter's last flush must not try.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 128 + signal.SIGPIPE
