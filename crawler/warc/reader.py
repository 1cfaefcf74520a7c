"""Reading the captures back: which code each capture belongs to, and a
Scrapy response rebuilt from a stored record, without any network request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator

from crawler.clean.dates import to_utc_iso
from crawler.warc.records import RENAMED_HEADERS, parse_metadata_fields
from crawler.warc.writer import WARC_DIR, WARC_GLOB

# Headers that described the bytes on the wire, not the decoded body a
# rebuilt response carries.
WIRE_HEADERS = frozenset({"content-encoding", "content-length", *RENAMED_HEADERS.values()})
WIRE_HEADERS_LOWER = frozenset(name.lower() for name in WIRE_HEADERS)


@dataclass(frozen=True)
class Located:
    """A ``response`` or ``revisit`` record: where it is and what it says."""

    file: str
    offset: int
    end: int
    kind: str
    uri: str
    date: str
    status: int
    digest: str | None
    refers_to: str | None  # a revisit's original record id


@dataclass(frozen=True)
class Outcome:
    """A ``metadata`` record: a code settled by a run, and its responses."""

    code: int
    state: str
    detail: str | None
    ref_code: int | None
    run_id: str | None
    responses: tuple[str, ...]
    file: str
    end: int


@dataclass
class Captures:
    """Everything pass one of a WARC directory learns, in file order."""

    records: dict[str, Located] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def warc_files(archive_dir: Path) -> list[Path]:
    directory = archive_dir / WARC_DIR
    return sorted(directory.glob(WARC_GLOB)) if directory.is_dir() else []


def scan(archive_dir: Path) -> Captures:
    """Pass one: headers only, every file in order."""
    captures = Captures(files=warc_files(archive_dir))
    for path in captures.files:
        with path.open("rb") as handle:
            # HTTP headers are not parsed here (the bulk of a scan's time):
            # the status line is all this pass needs of them.
            iterator = ArchiveIterator(handle, no_record_parse=True)
            for record in iterator:
                _learn(captures, path.name, iterator, record)
    return captures


def _learn(captures: Captures, file: str, iterator: ArchiveIterator, record: Any) -> None:
    headers = record.rec_headers
    kind = record.rec_type
    if kind == "metadata":
        body = record.content_stream().read()
    elif kind in ("response", "revisit"):
        status = status_code(record.raw_stream.readline())
    offset = iterator.get_record_offset()
    end = offset + iterator.get_record_length()
    if kind in ("response", "revisit"):
        captures.records[headers.get_header("WARC-Record-ID")] = Located(
            file,
            offset,
            end,
            kind,
            headers.get_header("WARC-Target-URI"),
            headers.get_header("WARC-Date"),
            status,
            headers.get_header("WARC-Payload-Digest"),
            headers.get_header("WARC-Refers-To"),
        )
    elif kind == "metadata":
        outcome = _outcome(record, body, file, end)
        if outcome is not None:
            captures.outcomes.append(outcome)


def status_code(status_line: bytes) -> int:
    """
    >>> status_code(b"HTTP/1.1 301 Moved Permanently\\r\\n"), status_code(b"junk")
    (301, 0)
    """
    parts = status_line.split(None, 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def _outcome(record: Any, body: bytes, file: str, end: int) -> Outcome | None:
    fields = parse_metadata_fields(body)
    if not fields.get("story-code", "").isdigit() or "outcome" not in fields:
        return None
    ref = fields.get("ref-code", "")
    concurrent = [
        value for name, value in record.rec_headers.headers if name == "WARC-Concurrent-To"
    ]
    return Outcome(
        int(fields["story-code"]),
        fields["outcome"],
        fields.get("detail"),
        int(ref) if ref.isdigit() else None,
        fields.get("run-id"),
        tuple(concurrent),
        file,
        end,
    )


def read_record(path: Path, offset: int, handler: Any) -> Any:
    """Open the record at ``offset`` and hand it to ``handler`` while it is readable."""
    with path.open("rb") as handle:
        handle.seek(offset)
        record = next(iter(ArchiveIterator(handle)))
        return handler(record)


def warc_date_to_iso(warc_date: str) -> str:
    """The archive's ``crawled_at`` form of a WARC-Date.

    >>> warc_date_to_iso("2026-11-28T14:33:31.448568Z")
    '2026-11-28T14:33:31Z'
    """
    return to_utc_iso(datetime.fromisoformat(warc_date.replace("Z", "+00:00")))


def rebuilt_response(
    archive_dir: Path, captures: Captures, record_id: str, max_size: int
) -> Response | None:
    """The response a record stores, decoded as Scrapy would have received
    it (Content-Encoding undone by warcio's reader, bounded by ``max_size``);
    a revisit's payload comes from the record it refers to. None when the
    payload is gone or over the size limit."""
    located = captures.records.get(record_id)
    if located is None:
        return None
    payload_id = located.refers_to if located.kind == "revisit" else record_id
    payload = captures.records.get(payload_id or "")
    if payload is None:
        return None
    directory = archive_dir / WARC_DIR

    def read_body(record: Any) -> bytes:
        return bytes(record.content_stream().read(max_size + 1))

    if payload is located:
        headers, body = read_record(
            directory / located.file, located.offset, lambda r: (_http_headers(r), read_body(r))
        )
    else:
        headers = read_record(directory / located.file, located.offset, _http_headers)
        body = read_record(directory / payload.file, payload.offset, read_body)
    if len(body) > max_size:
        return None
    scrapy_headers = Headers(
        [(name, value) for name, value in headers if name.lower() not in WIRE_HEADERS_LOWER]
    )
    cls = responsetypes.from_args(headers=scrapy_headers, url=located.uri, body=body)
    return cls(
        url=located.uri,
        status=located.status,
        headers=scrapy_headers,
        body=body,
        request=Request(located.uri),
    )


def _http_headers(record: Any) -> list[tuple[str, str]]:
    return list(record.http_headers.headers) if record.http_headers else []
