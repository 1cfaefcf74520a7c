"""Reading the captures back: which code each capture belongs to, and a
Scrapy response rebuilt from a stored record, without any network request.

The files are walked member by member (``crawler.warc.members``) and each
record parsed by warcio's own record loader from its decompressed bytes.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders

from crawler.clean.dates import to_utc_iso
from crawler.warc.members import members, read_member
from crawler.warc.records import RENAMED_HEADERS, parse_metadata_fields
from crawler.warc.writer import WARC_DIR, WARC_GLOB

# Headers that described the bytes on the wire, not the decoded body a
# rebuilt response carries.
WIRE_HEADERS = frozenset({"content-encoding", "content-length", *RENAMED_HEADERS.values()})
WIRE_HEADERS_LOWER = frozenset(name.lower() for name in WIRE_HEADERS)
# As ArchiveIterator reads records: HTTP status lines are not validated.
LOADER = ArcWarcRecordLoader(verify_http=False)


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
    # Per file, where its last whole member ends (a torn tail is past it).
    ends: dict[str, int] = field(default_factory=dict)


def warc_files(archive_dir: Path) -> list[Path]:
    directory = archive_dir / WARC_DIR
    return sorted(directory.glob(WARC_GLOB)) if directory.is_dir() else []


def scan(archive_dir: Path) -> Captures:
    """Pass one: every file in order, up to its last whole member; of each
    record its WARC headers, and a response's status line or a metadata
    record's fields (HTTP headers are not parsed: the status line is all this
    pass needs of them)."""
    captures = Captures(files=warc_files(archive_dir))
    for path in captures.files:
        end = 0
        for offset, end, data in members(path):
            _learn(captures, path.name, offset, end, *head_and_block(data))
        captures.ends[path.name] = end
    return captures


def record_head(data: bytes) -> tuple[list[tuple[str, str]], int] | None:
    """A record's WARC headers, as (name, value) pairs in order, and where
    its block starts; None if ``data`` does not start with a WARC header
    block. Pass one reads tens of thousands of these, and warcio's parser
    takes a line at a time from a stream: this splits the block at once.

    >>> record_head(b"WARC/1.1\\r\\nWARC-Type: metadata\\r\\nX: a\\r\\n  b\\r\\n\\r\\nbody")
    ([('WARC-Type', 'metadata'), ('X', 'a  b')], 44)
    >>> record_head(b"HTTP/1.1 200 OK\\r\\n\\r\\n") is None
    True
    """
    end = data.find(b"\r\n\r\n")
    if end < 0 or not data.startswith(b"WARC/"):
        return None
    raw = data[:end]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    headers: list[tuple[str, str]] = []
    for line in text.split("\r\n")[1:]:
        if line[:1] in (" ", "\t") and headers:  # a folded value goes on
            name, value = headers[-1]
            headers[-1] = (name, value + line.rstrip())
            continue
        name, colon, value = line.partition(":")
        if colon:
            headers.append((name.rstrip(" \t"), value.strip()))
    return headers, end + 4


def head_and_block(data: bytes) -> tuple[list[tuple[str, str]], bytes, int]:
    """A record's WARC headers, and its bytes with where its block starts
    in them (warcio's loader parses what ``record_head`` does not)."""
    head = record_head(data)
    if head is not None:
        return head[0], data, head[1]
    record = LOADER.parse_record_stream(io.BytesIO(data), no_record_parse=True)
    return list(record.rec_headers.headers), record.raw_stream.read(), 0


def _learn(
    captures: Captures,
    file: str,
    offset: int,
    end: int,
    headers: list[tuple[str, str]],
    data: bytes,
    block: int,
) -> None:
    fields = {name.lower(): value for name, value in headers}
    kind = fields.get("warc-type")
    if kind in ("response", "revisit"):
        line_end = data.find(b"\r\n", block)
        captures.records[fields.get("warc-record-id", "")] = Located(
            file,
            offset,
            end,
            kind,
            fields.get("warc-target-uri", ""),
            fields.get("warc-date", ""),
            status_code(data[block : line_end if line_end >= 0 else len(data)]),
            fields.get("warc-payload-digest"),
            fields.get("warc-refers-to"),
        )
    elif kind == "metadata":
        length = fields.get("content-length", "")
        body = data[block : block + int(length)] if length.isdigit() else data[block:]
        concurrent = [value for name, value in headers if name.lower() == "warc-concurrent-to"]
        outcome = _outcome(body, concurrent, file, end)
        if outcome is not None:
            captures.outcomes.append(outcome)


def status_code(status_line: bytes) -> int:
    """
    >>> status_code(b"HTTP/1.1 301 Moved Permanently\\r\\n"), status_code(b"junk")
    (301, 0)
    """
    parts = status_line.split(None, 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def _outcome(body: bytes, concurrent: list[str], file: str, end: int) -> Outcome | None:
    fields = parse_metadata_fields(body)
    if not fields.get("story-code", "").isdigit() or "outcome" not in fields:
        return None
    ref = fields.get("ref-code", "")
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


class CaptureFiles:
    """The WARC files of a directory, each opened once, for reading records
    back by position."""

    def __init__(self, archive_dir: Path):
        self.directory = archive_dir / WARC_DIR
        self._fds: dict[str, int] = {}

    def record(self, located: Located) -> ArcWarcRecord:
        """The record at ``located``, its HTTP headers parsed."""
        fd = self._fds.get(located.file)
        if fd is None:
            fd = self._fds[located.file] = os.open(self.directory / located.file, os.O_RDONLY)
        data = read_member(fd, located.offset, located.end)
        head = record_head(data)
        if head is None:
            return LOADER.parse_record_stream(io.BytesIO(data))
        # The WARC headers are split at once (as pass one does); warcio's
        # loader reads the HTTP headers, and its record decodes the payload.
        headers, start = head
        fields = {name.lower(): value for name, value in headers}
        length = int(fields.get("content-length", "0"))
        stream = io.BytesIO(data)
        stream.seek(start)
        block = LimitReader(stream, length)
        http = LOADER.load_http_headers(located.kind, located.uri, block, length)
        return ArcWarcRecord(
            "warc",
            located.kind,
            StatusAndHeaders("", headers, protocol=data[: data.find(b"\r\n")].decode("latin-1")),
            block,
            http,
            fields.get("content-type"),
            length,
        )

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


def warc_date_to_iso(warc_date: str) -> str:
    """The archive's ``crawled_at`` form of a WARC-Date.

    >>> warc_date_to_iso("2026-11-28T14:33:31.448568Z")
    '2026-11-28T14:33:31Z'
    """
    return to_utc_iso(datetime.fromisoformat(warc_date.replace("Z", "+00:00")))


def rebuilt_response(
    files: CaptureFiles, captures: Captures, record_id: str, max_size: int
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
    record = files.record(located)
    headers = list(record.http_headers.headers) if record.http_headers else []
    if payload is not located:
        record = files.record(payload)
    body = bytes(record.content_stream().read(max_size + 1))
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
    )
