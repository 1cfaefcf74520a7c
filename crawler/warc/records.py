"""Turning Scrapy requests and responses into warcio records (pure helpers)."""

from __future__ import annotations

import base64
import hashlib
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders

if TYPE_CHECKING:
    from scrapy.http import Headers, Request, Response
    from warcio.recordloader import ArcWarcRecord

WARC_VERSION = "WARC/1.1"
# Twisted hands Scrapy the body already de-chunked: a record that still said
# "chunked" would make readers try to de-chunk it again. pywb renames it the
# same way when it replays.
RENAMED_HEADERS = {b"transfer-encoding": "X-Archive-Orig-Transfer-Encoding"}
METADATA_TYPE = "application/warc-fields"


def payload_digest(body: bytes) -> str:
    """The ``WARC-Payload-Digest`` warcio writes (and checks) for these bytes.

    >>> payload_digest(b"")
    'sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ'
    """
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def reason_phrase(status: int) -> str:
    """
    >>> reason_phrase(301), reason_phrase(599)
    ('Moved Permanently', '')
    """
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def header_lines(headers: Headers) -> list[tuple[str, str]]:
    """Scrapy's headers as (name, value) text pairs, one per value, in order."""
    lines: list[tuple[str, str]] = []
    for name, values in headers.items():
        key = bytes(name)
        shown = RENAMED_HEADERS.get(key.lower(), key.decode("latin-1"))
        lines.extend((shown, bytes(value).decode("latin-1")) for value in values)
    return lines


def request_target(url: str) -> tuple[str, str]:
    """(path with query, Host header) of a URL.

    >>> request_target("http://127.0.0.1:8080/en/news/5?x=1")
    ('/en/news/5?x=1', '127.0.0.1:8080')
    """
    parts = urlsplit(url)
    path = parts.path or "/"
    return (f"{path}?{parts.query}" if parts.query else path), parts.netloc


def response_http_headers(response: Response) -> StatusAndHeaders:
    protocol = getattr(response, "protocol", None) or "HTTP/1.1"
    status = f"{response.status} {reason_phrase(response.status)}".rstrip()
    return StatusAndHeaders(status, header_lines(response.headers), protocol=protocol)


def request_http_headers(request: Request, protocol: str) -> StatusAndHeaders:
    path, host = request_target(request.url)
    lines = header_lines(request.headers)
    if not any(name.lower() == "host" for name, _ in lines):
        # Twisted adds Host itself, after Scrapy has seen the request.
        lines.insert(0, ("Host", host))
    return StatusAndHeaders(f"{path} {protocol}", lines, protocol=request.method)


def metadata_fields(fields: dict[str, object]) -> bytes:
    """A ``metadata`` record's body: ``application/warc-fields``, empty values left out.

    >>> metadata_fields({"story-code": 5, "outcome": "not_found", "ref-code": None})
    b'story-code: 5\\r\\noutcome: not_found\\r\\n'
    """
    lines: list[str] = []
    for name, value in fields.items():
        if value is None or value == "":
            continue
        # A field is one line: a detail with line breaks is folded onto it.
        text = " ".join(str(value).split())
        lines.append(f"{name}: {text}\r\n")
    return "".join(lines).encode("utf-8")


def parse_metadata_fields(body: bytes) -> dict[str, str]:
    """
    >>> parse_metadata_fields(b"story-code: 5\\r\\noutcome: not_found\\r\\n")
    {'story-code': '5', 'outcome': 'not_found'}
    """
    fields = {}
    for line in body.decode("utf-8", errors="replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


def record_id(record: ArcWarcRecord) -> str:
    return str(record.rec_headers.get_header("WARC-Record-ID"))


BUILDER = RecordBuilder(warc_version=WARC_VERSION)
