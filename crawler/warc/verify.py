"""Checking the WARC files end to end: every record's ``WARC-Block-Digest``
and ``WARC-Payload-Digest`` (with warcio's own checker, as ``warcio check``
does), every revisit's original present, and every archived code's capture
(a ``metadata`` record naming it, pointing at a response that is there)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.warc.reader import warc_files
from crawler.warc.records import parse_metadata_fields

READ_SIZE = 1 << 20


def verify_warc(archive_dir: Path, archived_codes: Iterable[int] = ()) -> list[str]:
    """Problems found, one line each; an empty list means clean.
    ``archived_codes`` are the codes the ledger calls archived."""
    problems: list[str] = []
    payloads: set[str] = set()  # response and revisit record ids
    originals: dict[str, str] = {}  # revisit id -> the record it refers to
    captured: dict[int, list[str]] = {}  # archived code -> its responses
    for path in warc_files(archive_dir):
        try:
            _check_file(path, problems, payloads, originals, captured)
        except ArchiveLoadFailed as exc:
            problems.append(f"{path.name}: unreadable past a point: {str(exc).strip()}")
    for revisit, original in originals.items():
        if original not in payloads:
            problems.append(f"revisit {revisit} refers to {original}, which no file holds")
    for code in archived_codes:
        if not any(rid in payloads for rid in captured.get(code, [])):
            problems.append(f"story {code}: archived, but no WARC response record captures it")
    return problems


def _check_file(
    path: Path,
    problems: list[str],
    payloads: set[str],
    originals: dict[str, str],
    captured: dict[int, list[str]],
) -> None:
    with path.open("rb") as handle:
        iterator = ArchiveIterator(handle, check_digests=True)
        for record in iterator:
            # The stored bytes, never decoded: digests are over what was
            # stored, and a decompression bomb stays a few kilobytes here.
            stream = record.raw_stream
            body = stream.read() if record.rec_type == "metadata" else b""
            while stream.read(READ_SIZE):
                pass
            headers = record.rec_headers
            rid = headers.get_header("WARC-Record-ID")
            if record.digest_checker.passed is False:
                where = f"{path.name}@{iterator.get_record_offset()}"
                problems.extend(f"{where}: {rid}: {p}" for p in record.digest_checker.problems)
            if record.rec_type in ("response", "revisit"):
                payloads.add(rid)
            if record.rec_type == "revisit":
                originals[rid] = headers.get_header("WARC-Refers-To") or "(nothing)"
            if record.rec_type == "metadata":
                # Any outcome counts: a page not understood at crawl time and
                # archived by a re-extraction is captured all the same, under
                # its own code or under the code that redirected to it.
                fields = parse_metadata_fields(body)
                responses = [v for name, v in headers.headers if name == "WARC-Concurrent-To"]
                for key in ("story-code", "ref-code"):
                    if fields.get(key, "").isdigit():
                        captured.setdefault(int(fields[key]), []).extend(responses)
