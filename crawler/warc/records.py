"""Turning Scrapy requests and responses into warcio records (pure helpers)."""

from __future__ import annotations

import base64
import hashlib
import io
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

if TYPE_CHECKING:
    from scrapy.http import Headers, Request, Response
    from warcio.recordloader import ArcWarcRecord

WARC_VERSION = "WARC/1.1"
# Twisted hands Scrapy the body already de-chunked: a record that still said
# "chunked" would make readers try to de-chunk it again. pywb renames it the
# same way when it replays.
RENAMED_HEADERS = {b"transfer-encoding": "X-Archive-Orig-Transfer-Encoding"}
METADATA_TYPE = "application/warc-fields"


def sha1_digest(*parts: bytes) -> str:
    """A WARC digest (``sha1:`` and base 32, as warcio writes and checks them)
    of ``parts`` one after the other.

    >>> sha1_digest(b"HTTP/1.1 200 OK\\r\\n\\r\\n", b"body") == sha1_digest(
    ...     b"HTTP/1.1 200 OK\\r\\n\\r\\nbody"
    ... )
    True
    """
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part)
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")


def payload_digest(body: bytes) -> str:
    """The ``WARC-Payload-Digest`` warcio writes (and checks) for these bytes.

    >>> payload_digest(b"")
    'sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ'
    """
    return sha1_digest(body)


EMPTY_DIGEST = payload_digest(b"")


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


def record_date(record: ArcWarcRecord) -> str:
    return str(record.rec_headers.get_header("WARC-Date"))


BUILDER = RecordBuilder(warc_version=WARC_VERSION)

# The records below come with their digests: warcio writes a digest it is
# given and computes only those it is not, so none is computed twice (and a
# metadata record's two digests, being of the same bytes, once). They also
# come with their WARC headers made, in the order warcio puts them, so that
# warcio does not search and replace them one by one.


def http_block(http: StatusAndHeaders) -> bytes:
    """The HTTP headers as warcio writes them into the record's block."""
    http.compute_headers_buffer()
    return bytes(http.headers_buff)


def new_record(
    kind: str,
    uri: str,
    headers: list[tuple[str, str]],
    *,
    payload: bytes | None = None,
    http: StatusAndHeaders | None = None,
    date: str | None = None,
    content_type: str = "",
) -> ArcWarcRecord:
    """A record of ``kind`` with a new record id, made by warcio from the
    WARC headers given (digests included) and its own.

    >>> record = new_record("metadata", "http://x/1", [], payload=b"a: 1\\r\\n")
    >>> [name for name, _ in record.rec_headers.headers]
    ['WARC-Type', 'WARC-Record-ID', 'WARC-Target-URI', 'WARC-Date', 'WARC-Payload-Digest']
    """
    warc_headers = StatusAndHeaders(
        "",
        [
            ("WARC-Type", kind),
            ("WARC-Record-ID", StatusAndHeadersParser.make_warc_id()),
            ("WARC-Target-URI", uri),
            ("WARC-Date", date or BUILDER.curr_warc_date()),
            *headers,
        ],
        protocol=WARC_VERSION,
    )
    return BUILDER.create_warc_record(
        uri,
        kind,
        payload=None if payload is None else io.BytesIO(payload),
        length=None if payload is None else len(payload),
        warc_headers=warc_headers,
        http_headers=http,
        warc_content_type=content_type,
    )


def response_record(
    url: str, body: bytes, digest: str, http: StatusAndHeaders, extra: list[tuple[str, str]]
) -> ArcWarcRecord:
    """A ``response`` record of ``body`` (whose payload digest is ``digest``)."""
    block = sha1_digest(http_block(http), body)
    digests = [("WARC-Payload-Digest", digest), ("WARC-Block-Digest", block)]
    return new_record("response", url, [*extra, *digests], payload=body, http=http)


def revisit_record(
    url: str,
    digest: str,
    http: StatusAndHeaders,
    original: tuple[str, str, str],
    extra: list[tuple[str, str]],
) -> ArcWarcRecord:
    """A ``revisit`` record (identical-payload-digest profile) of a payload
    first captured as ``original``: its (record id, target URI, date)."""
    original_id, original_uri, original_date = original
    headers = {
        "WARC-Refers-To": original_id,
        "WARC-Block-Digest": sha1_digest(http_block(http)),
        **dict(extra),
    }
    return BUILDER.create_revisit_record(
        url, digest, original_uri, original_date, http_headers=http, warc_headers_dict=headers
    )


def request_record(
    request: Request, uri: str, protocol: str, concurrent_to: str, date: str
) -> ArcWarcRecord:
    """The ``request`` record of the response record ``concurrent_to``."""
    http = request_http_headers(request, protocol)
    headers = [
        ("WARC-Concurrent-To", concurrent_to),
        ("WARC-Payload-Digest", EMPTY_DIGEST),
        ("WARC-Block-Digest", sha1_digest(http_block(http))),
    ]
    return new_record("request", uri, headers, http=http, date=date)


def metadata_record(uri: str, body: bytes, concurrent_to: list[str]) -> ArcWarcRecord:
    """A ``metadata`` record (``application/warc-fields``) pointing at the
    records ``concurrent_to``."""
    digest = payload_digest(body)
    headers = [
        *(("WARC-Concurrent-To", record_id) for record_id in concurrent_to),
        ("WARC-Payload-Digest", digest),
        ("WARC-Block-Digest", digest),
    ]
    return new_record("metadata", uri, headers, payload=body, content_type=METADATA_TYPE)
