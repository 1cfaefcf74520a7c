"""A bound on response headers, which DOWNLOAD_MAXSIZE does not cover.

Twisted's HTTP client bounds each header line (16 KiB) but not their number,
so a server that streams headers forever grows memory until DOWNLOAD_TIMEOUT.
``BoundedHeadersDownloadHandler`` is Scrapy's HTTP/1.1 handler with every
connection's protocol wrapped in ``HeadBoundProtocol``: a Twisted
``ProtocolWrapper`` that sits between the socket and Scrapy's protocol,
counts the bytes of each response head and, past ``DOWNLOAD_MAXHEADERSIZE``,
ends the response with ``HeadersTooLarge`` and aborts the connection.

Scrapy has no hook for the protocol its connection pool builds, so the
handler wraps the pool's protocol factory (``HTTPConnectionPool._factory``,
the attribute Scrapy's handler itself sets to its lenient factory). That one
assignment is the only place this module reaches into a private attribute;
Scrapy's protocol and parser are used unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import IgnoreRequest
from twisted.internet.protocol import connectionDone
from twisted.protocols.policies import ProtocolWrapper, WrappingFactory
from twisted.python.failure import Failure

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.internet.interfaces import IAddress, IProtocol, IProtocolFactory

# The blank line that ends a head; Twisted's parser splits lines on "\n" and
# drops a trailing "\r", so both forms end it.
HEAD_ENDS = (b"\n\r\n", b"\n\n")


def head_length(seen: bytes, data: bytes) -> int | None:
    """Bytes of ``data`` that belong to a head whose last bytes so far were
    ``seen`` (at most two), or None when the head does not end in ``data``.

    >>> head_length(b"", b"HTTP/1.1 200 OK\\r\\nA: b\\r\\n\\r\\nbody")
    25
    >>> head_length(b"\\r\\n", b"\\r\\nbody")
    2
    >>> head_length(b"", b"HTTP/1.1 200 OK\\r\\nA: b\\r\\n") is None
    True
    """
    joined = seen + data
    ends = [joined.find(end) + len(end) for end in HEAD_ENDS if end in joined]
    return min(ends) - len(seen) if ends else None


class HeadersTooLarge(Exception):
    """A response head longer than DOWNLOAD_MAXHEADERSIZE."""


class HeadBoundProtocol(ProtocolWrapper):
    """Counts each response head on a connection and ends it past ``limit`` bytes.

    A head starts with the connection and again whenever the wrapped HTTP
    protocol is back to QUIESCENT (its response complete, ready for the next
    request on a kept-alive connection); it ends at its blank line. (An interim
    1xx head would end the count early; Scrapy never asks for one.)
    """

    factory: HeadBoundFactory

    def __init__(self, factory: HeadBoundFactory, wrapped: IProtocol):
        super().__init__(factory, wrapped)
        self.http: Any = wrapped  # Scrapy's HTTP11ClientProtocol, untyped
        self.head: int | None = 0  # bytes of the current head; None: reading a body
        self.tail = b""  # the head's last bytes, to find a blank line split across reads
        self.refused = False

    def request(self, *args: Any, **kwargs: Any) -> Any:
        """The connection pool talks to the protocol it connected: pass requests on."""
        return self.http.request(*args, **kwargs)

    def dataReceived(self, data: bytes) -> None:
        if self.refused:
            return
        limit = self.factory.limit
        if self.head is not None:
            length = head_length(self.tail, data)
            size = self.head + (len(data) if length is None else length)
            if size > limit:
                self.refuse(limit)
                return
            ended = length is not None
            self.head, self.tail = (None, b"") if ended else (size, (self.tail + data)[-2:])
        self.http.dataReceived(data)
        if self.http.state == "QUIESCENT":
            self.head, self.tail = 0, b""

    def refuse(self, limit: int) -> None:
        """Fail the response with the reason, then drop the connection without
        telling the wrapped protocol a second time."""
        self.refused = True
        reason = HeadersTooLarge(f"response headers over DOWNLOAD_MAXHEADERSIZE ({limit} bytes)")
        self.http.connectionLost(Failure(reason))
        cast(Any, self.transport).abortConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if self.refused:
            self.factory.unregisterProtocol(self)
            return
        super().connectionLost(reason)


class HeadBoundFactory(WrappingFactory[HeadBoundProtocol]):
    protocol = HeadBoundProtocol

    def __init__(self, wrapped: IProtocolFactory, limit: int):
        super().__init__(wrapped)
        self.limit = limit

    def buildProtocol(self, addr: IAddress | None) -> HeadBoundProtocol:
        return HeadBoundProtocol(self, self.wrappedFactory.buildProtocol(addr))


def headers_too_large(error: BaseException) -> HeadersTooLarge | None:
    """The HeadersTooLarge behind a failed download, if that is what it was.

    Twisted wraps it in ResponseFailed (or RequestTransmissionFailed, when the
    server talked before the request was sent), and Scrapy wraps that in turn.
    """
    for wrapper in (error, error.__cause__):
        for reason in getattr(wrapper, "reasons", ()):
            if isinstance(reason.value, HeadersTooLarge):
                return reason.value
    return None


class BoundedHeadersDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, plus ``DOWNLOAD_MAXHEADERSIZE`` (bytes; 0: no bound).

    A response over the bound raises IgnoreRequest with the reason (a server
    that does this will do it again: it is not retried).
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        limit = crawler.settings.getint("DOWNLOAD_MAXHEADERSIZE")
        if limit > 0:
            scrapy_factory = self._pool._factory
            self._pool._factory = lambda *args: HeadBoundFactory(  # type: ignore[assignment]
                cast(Any, scrapy_factory(*args)), limit
            )

    async def download_request(self, request: Request) -> Response:
        try:
            return await super().download_request(request)
        except Exception as error:
            too_large = headers_too_large(error)
            if too_large is None:
                raise
            raise IgnoreRequest(str(too_large)) from error
