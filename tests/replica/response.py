"""One HTTP response of the replica, serialized by hand so faults can cut it anywhere."""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus

HTML = "text/html; charset=utf-8"


def _reason(status: int) -> str:
    """The standard reason phrase; empty for codes the stdlib does not know."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


@dataclass(frozen=True)
class Response:
    """Status, body and headers; ``headers`` may override Content-Type/Content-Length."""

    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()

    def head(self) -> bytes:
        """Status line and header block, ending with the blank line."""
        given = {name.lower() for name, _ in self.headers}
        lines = [
            f"HTTP/1.1 {self.status} {_reason(self.status)}",
            "Server: nginx",
            f"Date: {formatdate(usegmt=True)}",
        ]
        if "content-type" not in given:
            lines.append(f"Content-Type: {self.content_type}")
        if "content-length" not in given:
            lines.append(f"Content-Length: {len(self.body)}")
        lines.extend(f"{name}: {value}" for name, value in self.headers)
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def encode(self) -> bytes:
        """The whole response, so it leaves in one write (no Nagle stall between parts)."""
        return self.head() + self.body


def redirect(status: int, location: str) -> Response:
    """A redirect with a small HTML body, as servers send."""
    body = f'<html><body><a href="{html.escape(location)}">Moved</a></body></html>'.encode()
    return Response(status, body, headers=(("Location", location),))
