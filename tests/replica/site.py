"""The replica site: a real HTTP server on 127.0.0.1 standing in for The Iran Project.

Tests and benchmarks crawl it instead of the unreachable real site. Pages are rendered
once and cached; faults are injected per story code; every request is counted here, in
the server object, so counts survive crawler restarts and crawlers in other processes.
"""

from __future__ import annotations

import contextlib
import copy
import re
import socket
import socketserver
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from .faults import (
    CONTENT_KINDS,
    TRANSPORT_KINDS,
    Fault,
    fault_response,
    make_fault,
    serve_transport,
)
from .render import (
    render_blocked,
    render_feed,
    render_home,
    render_message,
    render_page,
    render_story,
)
from .response import Response, redirect
from .stories import Story, make_story

__all__ = ["ReplicaSite", "Story", "make_story", "render_story", "story_code"]

_STORY_PATH = re.compile(r"/(?:en|fa)/news/(\d+)(?:/.*)?")
NOT_FOUND_KINDS = ("404", "410", "error_page", "redirect_home")
BLOCKED_KINDS = ("challenge", "maintenance", "empty")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
FEED_SIZE = 30


def story_code(path: str) -> int | None:
    """The story code a request path addresses (``/en/news/{code}[/...]``, or the
    Persian edition's ``/fa/news/{code}[/...]``), else None."""
    match = _STORY_PATH.fullmatch(path)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class _Missing:
    """A code that is not a story, answered the way ``kind`` says."""

    kind: str


@dataclass(frozen=True)
class _Redirect:
    """A code that redirects to another story."""

    to_code: int
    status: int


_Entry = Story | Response | _Missing | _Redirect


class _Handler(BaseHTTPRequestHandler):
    """Hands every GET to the site; also the ``Wire`` transport faults work on."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.site.user_agents[self.headers.get("User-Agent", "")] += 1
        self.server.site._serve(self, "GET", path)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: benchmarks make thousands of requests."""

    def write(self, data: bytes) -> None:
        self.wfile.write(data)

    def pause(self, seconds: float) -> None:
        self.server.stopping.wait(seconds)

    def hang_up(self, *, reset: bool) -> None:
        self.close_connection = True
        if reset:
            linger = struct.pack("ii", 1, 0)  # close with RST, dropping unsent data
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.rfile.close()  # the read file holds a reference that would delay close()
            self.connection.close()


class _Server(ThreadingHTTPServer):
    """Thread per connection, with the open connections tracked so stop() can end them."""

    daemon_threads = True
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], site: ReplicaSite) -> None:
        self.site = site
        self.stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS look-up, which stalls without a resolver."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-response is normal here (timeouts, fault tests)."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def hang_up_all(self) -> None:
        """End every open connection so idle keep-alive and stalled threads finish."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class ReplicaSite:
    """The replica of the news site; see the module docstring and ``tests/replica``."""

    def __init__(
        self,
        *,
        stories: Iterable[Story] = (),
        robots: str = "User-agent: *\nAllow: /\n",
        pad_to: int | None = None,
    ) -> None:
        self.robots = robots
        # robots.txt's status for its next answers, the last one staying: [503, 200]
        # answers 503 once, then 200.
        self.robots_statuses: list[int] = [200]
        self.pad_to = pad_to
        self.home_count = 20
        self.feed_enabled = True
        self.counts: Counter[str] = Counter()
        self.user_agents: Counter[str] = Counter()
        self.log: list[tuple[str, str]] = []
        self._times: dict[str, list[float]] = {}
        self._code_counts: Counter[int] = Counter()
        self._entries: dict[int, _Entry] = {}
        self._faults: dict[int, Fault] = {}
        self._pages: dict[int, tuple[Story, bytes]] = {}
        self._listing: dict[str, tuple[tuple[Any, ...], Response]] = {}
        self._version = 0
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.add_stories(stories)

    # --- life cycle -----------------------------------------------------------------

    def start(self, port: int = 0, host: str = "127.0.0.1") -> ReplicaSite:
        """Bind ``host`` (a loopback address; ``port`` 0: any free port) and serve
        from a daemon thread."""
        if self._server is not None:
            raise RuntimeError("replica site already started")
        if not host.startswith("127."):
            raise ValueError(f"the replica serves on loopback only, not {host!r}")
        self._forget_rendered()
        self._server = _Server((host, port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def _forget_rendered(self) -> None:
        """Drop cached pages: they embed the site's URL, which a restart changes."""
        with self._lock:
            self._pages.clear()
            self._listing.clear()
            for fault in self._faults.values():
                fault.response = None

    def stop(self) -> None:
        """Stop serving, end open connections and release the port; idempotent."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.stopping.set()
        server.shutdown()
        server.hang_up_all()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> ReplicaSite:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (or the host it was started on), without a trailing slash."""
        if self._server is None:
            raise RuntimeError("replica site not started")
        return f"http://{self._server.server_name}:{self._server.server_port}"

    # --- content ----------------------------------------------------------------------

    def _set(self, code: int, entry: _Entry | None) -> None:
        """Replace what a code serves (None: nothing, 404); the latest call wins."""
        with self._lock:
            if entry is None:
                self._entries.pop(code, None)
            else:
                self._entries[code] = entry
            self._pages.pop(code, None)
            self._version += 1

    def add_story(self, story: Story) -> Story:
        self._set(story.code, story)
        return story

    def add_stories(self, stories: Iterable[Story]) -> None:
        for story in stories:
            self.add_story(story)

    def remove_story(self, code: int) -> None:
        """Whatever the code served (story, page, redirect...) becomes a plain 404."""
        self._set(code, None)

    def stories(self) -> list[Story]:
        """The stories currently served, by code."""
        with self._lock:
            return sorted(
                (e for e in self._entries.values() if isinstance(e, Story)), key=lambda s: s.code
            )

    def set_page(
        self, code: int, html: bytes, *, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        """Serve these exact bytes at the code (headers override Content-Type/Length)."""
        self._set(code, Response(status, bytes(html), headers=tuple((headers or {}).items())))

    def set_not_found(self, code: int, kind: str) -> None:
        """Make the code a missing story: "404", "410", "error_page" or "redirect_home"."""
        if kind not in NOT_FOUND_KINDS:
            raise ValueError(f"kind must be one of {NOT_FOUND_KINDS}, not {kind!r}")
        self._set(code, _Missing(kind))

    def set_blocked(self, code: int, kind: str, status: int = 200) -> None:
        """Answer the code's story URL with a page that is not a story: a bot
        "challenge", a "maintenance" notice or an "empty" body, with a 200 or
        with the error ``status`` a CDN sends them with (403, 503)."""
        if kind not in BLOCKED_KINDS:
            raise ValueError(f"kind must be one of {BLOCKED_KINDS}, not {kind!r}")
        self.set_page(code, render_blocked(kind), status=status)

    def set_redirect(self, code: int, to_code: int, status: int = 301) -> None:
        """Redirect the code to ``/en/news/{to_code}/{slug}`` (no slug if not a story)."""
        if status not in REDIRECT_STATUSES:
            raise ValueError(f"status must be one of {REDIRECT_STATUSES}")
        self._set(code, _Redirect(to_code, status))

    # --- faults -----------------------------------------------------------------------

    def set_fault(self, code: int, kind: str, **params: Any) -> Story | None:
        """Fault the code's responses (``times=N``: the first N only); see ``faults.py``.

        Returns the story a content fault's page carries (its ``expected_record`` is
        what the crawler should archive, if it can), else None.
        """
        with self._lock:
            entry = self._entries.get(code)
        base = entry if isinstance(entry, Story) else make_story(code)
        fault = make_fault(code, kind, params, base)
        with self._lock:
            self._faults[code] = fault
        return fault.story if kind in CONTENT_KINDS else None

    def clear_fault(self, code: int) -> None:
        with self._lock:
            self._faults.pop(code, None)

    def _take_fault(self, code: int) -> Fault | None:
        """The fault for this request, counting down ``times``."""
        with self._lock:
            fault = self._faults.get(code)
            if fault is not None and fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[code]
            return fault

    # --- accounting -------------------------------------------------------------------

    def _record(self, method: str, path: str) -> None:
        code = story_code(path)
        with self._lock:
            self.counts[path] += 1
            self.log.append((method, path))
            self._times.setdefault(path, []).append(time.monotonic())
            if code is not None:
                self._code_counts[code] += 1

    def count(self, path: str) -> int:
        """Requests for ``path`` (a query string is ignored)."""
        with self._lock:
            return self.counts[urlsplit(path).path]

    def request_times(self, path: str) -> list[float]:
        """When each request for ``path`` arrived (``time.monotonic()``), in order."""
        with self._lock:
            return list(self._times.get(urlsplit(path).path, []))

    def story_requests(self, code: int) -> int:
        """Requests for any path of this code, with or without a slug."""
        with self._lock:
            return self._code_counts[code]

    def requests_total(self) -> int:
        with self._lock:
            return len(self.log)

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.log.clear()
            self._times.clear()
            self._code_counts.clear()

    # --- serving ----------------------------------------------------------------------

    def _serve(self, wire: _Handler, method: str, path: str) -> None:
        """Answer one request, through its fault if the code has one."""
        self._record(method, path)
        code = story_code(path)
        fault = None if code is None else self._take_fault(code)
        if fault is None:
            wire.write(self._response(path).encode())
        elif fault.kind in TRANSPORT_KINDS:
            serve_transport(fault, wire, self._response(path))
        else:
            wire.write(fault_response(fault, self.url, self.pad_to).encode())

    def _response(self, path: str) -> Response:
        code = story_code(path)
        if code is not None:
            return self._code_response(code)
        if path in ("/", "/en", "/en/", "/fa", "/fa/"):
            return self._listing_response("home", self._home)
        if path in ("/en/rss/allnews", "/fa/rss/allnews") and self.feed_enabled:
            return self._listing_response("feed", self._feed)
        if path == "/robots.txt":
            with self._lock:
                statuses = self.robots_statuses
                status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
            return Response(status, self.robots.encode(), "text/plain; charset=utf-8")
        return _not_found()

    def _code_response(self, code: int) -> Response:
        with self._lock:
            entry = self._entries.get(code)
        match entry:
            case Story():
                return Response(200, self._page(entry))
            case Response():
                return entry
            case _Missing(kind=kind):
                return self._missing(kind)
            case _Redirect(to_code=to_code, status=status):
                return redirect(status, self.url + self._path_of(to_code))
        return _not_found()

    def _page(self, story: Story) -> bytes:
        """The story's page, rendered on first request and cached.

        The cache keeps a copy of the story it rendered, so a story edited in place
        (``story.body.append(...)``) is re-rendered on its next request.
        """
        cached = self._pages.get(story.code)
        if cached is not None and cached[0] == story:
            return cached[1]
        snapshot = copy.deepcopy(story)
        page = render_page(snapshot, base_url=self.url, pad_to=self.pad_to)
        with self._lock:
            if self._entries.get(story.code) is story:
                self._pages[story.code] = (snapshot, page)
        return page

    def _path_of(self, code: int) -> str:
        with self._lock:
            entry = self._entries.get(code)
        return entry.path if isinstance(entry, Story) else f"/en/news/{code}"

    def _missing(self, kind: str) -> Response:
        if kind == "redirect_home":
            return redirect(302, self.url + "/en")
        if kind == "error_page":
            return Response(200, render_message("Error", "The requested news was not found"))
        if kind == "410":
            return Response(410, render_message("Gone", "This story has been removed."))
        return _not_found()

    def _listing_response(self, name: str, build: Callable[[], Response]) -> Response:
        """Home page and feed, rebuilt only when the content or ``home_count`` changed."""
        key = (self._version, self.home_count)
        cached = self._listing.get(name)
        if cached is None or cached[0] != key:
            cached = (key, build())
            self._listing[name] = cached
        return cached[1]

    def _home(self) -> Response:
        """Links to the newest stories and served 200 pages, by code."""
        with self._lock:
            entries = sorted(self._entries.items(), reverse=True)
        links = [
            (entry.path, entry.title) if isinstance(entry, Story) else (f"/en/news/{code}", "News")
            for code, entry in entries
            if isinstance(entry, Story) or (isinstance(entry, Response) and entry.status == 200)
        ]
        return Response(200, render_home(links[: self.home_count]))

    def _feed(self) -> Response:
        newest = sorted(self.stories(), key=lambda s: s.code, reverse=True)[:FEED_SIZE]
        body = render_feed(newest, self.url)
        return Response(200, body, "application/rss+xml; charset=utf-8")


def _not_found() -> Response:
    return Response(404, render_message("Page not found", "The page you requested was not found."))
