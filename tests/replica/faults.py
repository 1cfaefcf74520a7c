"""Faults the replica injects per story code: hostile responses and broken transports.

Response faults (bad status, bombs, hostile pages, bad redirects) are ordinary responses
built once per fault. Transport faults (slow, stall, reset, short body, endless headers)
cut, delay or stretch the response that would have been served, at the socket level,
through a ``Wire``.
"""

from __future__ import annotations

import html
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Protocol

import brotli

from .render import Variant, render_message, render_page
from .response import Response, redirect
from .stories import Story

TRANSPORT_KINDS = frozenset({"slow", "stall_body", "reset", "short_body", "endless_headers"})
CONTENT_KINDS = frozenset(
    {"oversize", "nested", "charset", "nul_bytes", "huge_title", "offsite_link"}
)
PARAMS: dict[str, frozenset[str]] = {
    "status": frozenset({"status"}),
    "429": frozenset({"retry_after"}),
    "slow": frozenset({"delay"}),
    "stall_body": frozenset({"delay"}),
    "reset": frozenset(),
    "short_body": frozenset(),
    "oversize": frozenset({"size"}),
    "gzip_bomb": frozenset({"size"}),
    "deflate_bomb": frozenset({"size"}),
    "brotli_bomb": frozenset({"size"}),
    "nested": frozenset({"depth"}),
    "charset": frozenset({"variant"}),
    "nul_bytes": frozenset(),
    "huge_title": frozenset({"size"}),
    "offsite_redirect": frozenset(),
    "scheme_redirect": frozenset({"target"}),
    "offsite_link": frozenset(),
    "redirect_to": frozenset({"target"}),
    "meta_refresh": frozenset({"target", "delay"}),
    "refresh_header": frozenset({"target"}),
    "endless_headers": frozenset({"size"}),
}
# Faults that send the crawler to a URL the test gives (another replica, say).
TARGETED_KINDS = frozenset({"redirect_to", "meta_refresh", "refresh_header"})
# endless_headers: one header line this long, again and again.
FILLER_LINE = b"X-Filler: " + b"x" * 1014 + b"\r\n"
DEFAULTS: dict[str, Any] = {
    "status": 503,
    "retry_after": 1,
    "delay": 5.0,
    "oversize_size": 50_000_000,
    "bomb_size": 200_000_000,
    "depth": 100_000,
    "title_size": 1_000_000,
    "variant": "utf8_labelled_1256",
    "target": "file:///etc/passwd",
    "refresh_delay": 0,
    "headers_size": None,  # endless_headers: forever
}
SCHEME_TARGETS = ("file:///etc/passwd", "data:text/html,hi", "ftp://127.0.0.1/x", "s3://bucket/x")
OFFSITE_HOSTS = (
    "http://example.invalid",
    "https://www.theiranproject.com",
    "//cdn.example.net",
    "https://evil.example.org:8443",
)
# Invalid UTF-8 that no decoder can turn into text: a NUL, bytes never valid in UTF-8,
# an overlong "/", an encoded surrogate, another NUL.
JUNK = b"\x00\xff\xfe\xc0\xaf\xed\xa0\x80\x00"
_JUNK_MARK = "\ue000"
# Persian written with Arabic yeh/kaf where needed so that windows-1256 can encode it.
PERSIAN_PARAGRAPH = (
    "In Persian: \u00ab\u06af\u0641\u062a\u200c\u0648\u06af\u0648\u064a \u0627\u064a\u0631"
    "\u0627\u0646 \u0648 \u0686\u064a\u0646 \u062f\u0631 \u062a\u0647\u0631\u0627\u0646 "
    "\u0627\u062f\u0627\u0645\u0647 \u062f\u0627\u0631\u062f\u00bb, \u067e\u0698\u0648"
    "\u0647\u0634\u06af\u0631\u0627\u0646 \u06a9\u0634\u0648\u0631 \u06af\u0641\u062a"
    "\u0646\u062f."
)
_CHARSETS: dict[str, tuple[str | None, str, str]] = {
    # variant: (label in the page, label in Content-Type, encoding of the bytes)
    "utf8_labelled_1256": ("windows-1256", "text/html; charset=windows-1256", "utf-8"),
    "1256_labelled_utf8": ("utf-8", "text/html; charset=utf-8", "cp1256"),
    "none": (None, "text/html", "utf-8"),
}


@dataclass
class Fault:
    """One fault at one code; ``remaining`` counts faulted requests left (None: forever)."""

    code: int
    kind: str
    params: dict[str, Any]
    remaining: int | None
    story: Story  # the story content faults disguise (or the unchanged base story)
    response: Response | None = None  # response faults: built on first use

    def param(self, name: str, default_key: str | None = None) -> Any:
        """A parameter or its default (``default_key`` when defaults differ per kind)."""
        return self.params.get(name, DEFAULTS[default_key or name])


def make_fault(code: int, kind: str, params: dict[str, Any], base: Story) -> Fault:
    """Validate a fault request; ``base`` is the story content faults disguise."""
    if kind not in PARAMS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(PARAMS)}")
    times = params.pop("times", None)
    if times is not None and times < 1:
        raise ValueError("times must be >= 1 (or omitted for a permanent fault)")
    unknown = set(params) - PARAMS[kind]
    if unknown:
        raise TypeError(f"fault {kind!r} takes {sorted(PARAMS[kind])}, not {sorted(unknown)}")
    fault = Fault(code, kind, dict(params), times, base)
    _check_choice(fault)
    fault.story = _content_story(fault, base)
    return fault


def _check_choice(fault: Fault) -> None:
    """Reject parameter values outside the documented choices early, at set-up time."""
    if fault.kind == "charset" and fault.param("variant") not in _CHARSETS:
        raise ValueError(f"charset variant must be one of {sorted(_CHARSETS)}")
    if fault.kind == "scheme_redirect" and fault.param("target") not in SCHEME_TARGETS:
        raise ValueError(f"scheme_redirect target must be one of {SCHEME_TARGETS}")
    if fault.kind in TARGETED_KINDS and "target" not in fault.params:
        raise TypeError(f"fault {fault.kind!r} needs a target URL")


def _content_story(fault: Fault, base: Story) -> Story:
    """The story a content fault's page carries (changed only where the fault needs it)."""
    if fault.kind == "huge_title":
        size = fault.param("size", "title_size")
        return replace(base, title=("Iran nuclear talks update " * (size // 26 + 1))[:size])
    if fault.kind == "charset":
        return replace(base, body=[*base.body, PERSIAN_PARAGRAPH])
    return base


def fault_response(fault: Fault, base_url: str, pad_to: int | None) -> Response:
    """The response a response fault serves, built once and kept on the fault."""
    if fault.response is None:
        fault.response = _BUILDERS[fault.kind](fault, base_url, pad_to)
    return fault.response


def _status(fault: Fault, _base_url: str, _pad_to: int | None) -> Response:
    status = fault.param("status")
    return Response(status, render_message("Server error", f"Error {status}. Try again later."))


def _too_many(fault: Fault, _base_url: str, _pad_to: int | None) -> Response:
    body = render_message("Too many requests", "Please slow down.")
    return Response(429, body, headers=(("Retry-After", str(fault.param("retry_after"))),))


@lru_cache(maxsize=8)
def bomb(encoding: str, size: int) -> bytes:
    """``size`` spaces compressed with ``encoding`` (gzip, deflate or br); cached, since
    200 MB takes about a second to compress."""
    compressor: Any = (
        brotli.Compressor(quality=5)
        if encoding == "br"
        else zlib.compressobj(9, zlib.DEFLATED, 31 if encoding == "gzip" else 15)
    )
    feed = compressor.process if encoding == "br" else compressor.compress
    chunk, parts, left = b" " * (1 << 20), [], size
    while left > 0:
        parts.append(feed(chunk[: min(left, len(chunk))]))
        left -= len(chunk)
    parts.append(compressor.finish() if encoding == "br" else compressor.flush())
    return b"".join(parts)


def _bomb(fault: Fault, _base_url: str, _pad_to: int | None) -> Response:
    encoding = {"gzip_bomb": "gzip", "deflate_bomb": "deflate", "brotli_bomb": "br"}[fault.kind]
    body = bomb(encoding, fault.param("size", "bomb_size"))
    return Response(200, body, headers=(("Content-Encoding", encoding),))


def _page(
    fault: Fault, base_url: str, pad_to: int | None, variant: Variant, encoding: str = "utf-8"
) -> bytes:
    """The fault's story page with a rendering variant."""
    return render_page(
        fault.story, base_url=base_url, pad_to=pad_to, variant=variant, encoding=encoding
    )


def _oversize(fault: Fault, base_url: str, _pad_to: int | None) -> Response:
    size = fault.param("size", "oversize_size")
    return Response(200, _page(fault, base_url, size, Variant()))


def _nested(fault: Fault, base_url: str, pad_to: int | None) -> Response:
    depth = fault.param("depth")
    variant = Variant(body_extra="<div>" * depth + "</div>" * depth)
    return Response(200, _page(fault, base_url, pad_to, variant))


def _plain(fault: Fault, base_url: str, pad_to: int | None) -> Response:
    return Response(200, _page(fault, base_url, pad_to, Variant()))


def _offsite_link(fault: Fault, base_url: str, pad_to: int | None) -> Response:
    return Response(200, _page(fault, base_url, pad_to, Variant(link_hosts=OFFSITE_HOSTS)))


def _charset(fault: Fault, base_url: str, pad_to: int | None) -> Response:
    page_label, content_type, encoding = _CHARSETS[fault.param("variant")]
    body = _page(fault, base_url, pad_to, Variant(charset=page_label), encoding)
    return Response(200, body, content_type=content_type)


def _nul_bytes(fault: Fault, base_url: str, pad_to: int | None) -> Response:
    """The page with ``JUNK`` after the first word of the first paragraph."""
    first, *rest = fault.story.body or [""]
    head, _, tail = first.partition(" ")
    marked = replace(fault.story, body=[f"{head} {_JUNK_MARK} {tail}", *rest])
    page = render_page(marked, base_url=base_url, pad_to=pad_to)
    return Response(200, page.replace(_JUNK_MARK.encode(), JUNK))


def _redirect_to(fault: Fault, _base_url: str, _pad_to: int | None) -> Response:
    """A 302 to any ``target`` (another port, a user-info trick...)."""
    return redirect(302, fault.params["target"])


def _meta_refresh(fault: Fault, _base_url: str, _pad_to: int | None) -> Response:
    """A 200 page whose only content is a meta refresh to ``target``."""
    content = html.escape(f"{fault.param('delay', 'refresh_delay')};url={fault.params['target']}")
    page = (
        f'<html><head><meta http-equiv="refresh" content="{content}"></head>'
        "<body>Redirecting...</body></html>"
    )
    return Response(200, page.encode())


def _refresh_header(fault: Fault, base_url: str, pad_to: int | None) -> Response:
    """The story's own page, with a ``Refresh`` header to ``target``."""
    refresh = f"0; url={fault.params['target']}"
    return Response(200, _page(fault, base_url, pad_to, Variant()), headers=(("Refresh", refresh),))


def _offsite_redirect(fault: Fault, _base_url: str, _pad_to: int | None) -> Response:
    return redirect(302, f"http://example.invalid/en/news/{fault.code}/moved")


def _scheme_redirect(fault: Fault, _base_url: str, _pad_to: int | None) -> Response:
    return redirect(302, fault.param("target"))


_BUILDERS: dict[str, Callable[[Fault, str, int | None], Response]] = {
    "status": _status,
    "429": _too_many,
    "oversize": _oversize,
    "gzip_bomb": _bomb,
    "deflate_bomb": _bomb,
    "brotli_bomb": _bomb,
    "nested": _nested,
    "charset": _charset,
    "nul_bytes": _nul_bytes,
    "huge_title": _plain,
    "offsite_redirect": _offsite_redirect,
    "scheme_redirect": _scheme_redirect,
    "offsite_link": _offsite_link,
    "redirect_to": _redirect_to,
    "meta_refresh": _meta_refresh,
    "refresh_header": _refresh_header,
}


class Wire(Protocol):
    """The connection a transport fault works on."""

    def write(self, data: bytes) -> None:
        """Send bytes now."""

    def pause(self, seconds: float) -> None:
        """Wait, but give up early when the site stops."""

    def hang_up(self, *, reset: bool) -> None:
        """Close the connection: FIN, or RST when ``reset``."""


def serve_transport(fault: Fault, wire: Wire, response: Response) -> None:
    """Deliver ``response`` broken the way the fault says.

    slow: wait ``delay`` before anything; stall_body: headers and half the body, wait
    ``delay``, then the rest; reset: headers and half the body, then RST; short_body:
    headers (true Content-Length) and half the body, then FIN; endless_headers: header
    lines forever (or ``size`` bytes of them, then the body).
    """
    head, body = response.head(), response.body
    half = len(body) // 2
    if fault.kind == "endless_headers":
        _serve_endless_headers(wire, head, body, fault.param("size", "headers_size"))
        return
    if fault.kind == "slow":
        wire.pause(fault.param("delay"))
        wire.write(head + body)
        return
    wire.write(head + body[:half])
    if fault.kind == "stall_body":
        wire.pause(fault.param("delay"))
        wire.write(body[half:])
        return
    wire.hang_up(reset=fault.kind == "reset")


def _serve_endless_headers(wire: Wire, head: bytes, body: bytes, size: int | None) -> None:
    """The head, then filler header lines: forever (until the client hangs up and a
    write fails) when ``size`` is None, else as many whole lines as fit in ``size``
    bytes, then the body."""
    wire.write(head[:-2])  # the head without its blank line
    if size is None:
        while True:
            wire.write(FILLER_LINE * 64)
    lines = size // len(FILLER_LINE)
    for start in range(0, lines, 64):
        wire.write(FILLER_LINE * min(64, lines - start))
    wire.write(b"\r\n" + body)
