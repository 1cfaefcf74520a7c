"""Logs made for cron: what a person reading the mail needs, nothing more.

At INFO a run logs its start line, warnings, one line per failed code (at most
``ARCHIVE_LOG_FAILED_MAX``, then "and N more"), progress lines on long runs and
its summary, last. Scrapy's own start-up and shutdown chatter (versions,
enabled components, overridden settings, "Spider opened", ...) is demoted to
DEBUG, where ``-L DEBUG`` still shows it; the stats dump is off
(``STATS_DUMP = False``) and the stats go to ``runs/<run_id>.json`` instead.
Expected network errors (DNS failure, refused connection, timeout) are one
line each, without a traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.settings import BaseSettings
from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError
from twisted.internet.error import TimeoutError as TwistedTimeoutError

from crawler.errors import BadArguments

logger = logging.getLogger(__name__)

# No answer from the site at all: the address does not resolve, nothing
# listens, or nothing came back in time.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    DNSLookupError,
    ConnectError,  # Twisted's refused, unreachable network, TCP timeout
    TwistedTimeoutError,
)
# What a network does now and then; a traceback says nothing more about it.
NETWORK_ERRORS = (*CONNECTION_ERRORS, DownloadFailedError, ResponseDataLossError, ConnectionLost)

# Scrapy's INFO messages that describe Scrapy rather than the run, by logger
# and message prefix. "Received SIGTERM ..." (scrapy.crawler) stays at INFO.
SCRAPY_CHATTER: dict[str, tuple[str, ...]] = {
    "scrapy.utils.log": ("Scrapy %(version)s started", "Versions:"),
    "scrapy.addons": ("Enabled addons",),
    "scrapy.middleware": ("Enabled ",),
    "scrapy.crawler": ("Overridden settings",),
    "scrapy.core.engine": ("Spider opened", "Closing spider", "Spider closed"),
    "scrapy.extensions.logstats": ("",),  # the project logs its own progress lines
    "scrapy.extensions.memusage": ("Peak memory usage",),
    "scrapy.extensions.telnet": ("",),
    "scrapy.statscollectors": ("Dumping Scrapy stats",),
}
# Where Scrapy logs download errors with a traceback attached.
DOWNLOAD_ERROR_LOGGERS = (
    "scrapy.downloadermiddlewares.robotstxt",
    "scrapy.core.scraper",
    "scrapy.core.engine",
)


class Demote(logging.Filter):
    """INFO records whose message starts with one of ``prefixes`` become DEBUG.

    A logger filter runs before the handlers compare levels, so at INFO the
    record is then simply not written.
    """

    def __init__(self, prefixes: tuple[str, ...]):
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.levelno == logging.INFO
            and isinstance(record.msg, str)
            and record.msg.startswith(self.prefixes)
        ):
            record.levelno = logging.DEBUG
            record.levelname = logging.getLevelName(logging.DEBUG)
        return True


class NetworkErrorsOneLine(logging.Filter):
    """Drop the traceback of an expected network error, keeping its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, NETWORK_ERRORS):
            message = record.getMessage()
            reason = str(error) or type(error).__name__
            if reason not in message:
                message = f"{message}: {reason}"
            record.msg, record.args = message, None
            record.exc_info, record.exc_text = None, None
        return True


_installed: list[tuple[logging.Logger, logging.Filter]] = []


def install_log_filters(quiet: bool = True) -> None:
    """Attach the filters to Scrapy's loggers; again is harmless."""
    if _installed:
        return
    pairs: list[tuple[logging.Logger, logging.Filter]] = [
        (logging.getLogger(name), NetworkErrorsOneLine()) for name in DOWNLOAD_ERROR_LOGGERS
    ]
    if quiet:
        pairs += [(logging.getLogger(name), Demote(p)) for name, p in SCRAPY_CHATTER.items()]
    for log, log_filter in pairs:
        log.addFilter(log_filter)
    _installed.extend(pairs)


def remove_log_filters() -> None:
    for log, log_filter in _installed:
        log.removeFilter(log_filter)
    _installed.clear()


def check_log_file(settings: BaseSettings) -> None:
    """Create ``LOG_FILE``'s directory, and make sure the file can be opened:
    Scrapy would otherwise die with a traceback before the run starts."""
    name = settings.get("LOG_FILE")
    if not name:
        return
    path = Path(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding=settings.get("LOG_ENCODING") or "utf-8"):
            pass
    except OSError as exc:
        raise BadArguments(f"LOG_FILE: cannot write {path}: {exc.strerror or exc}") from None


def prepare_logging(settings: BaseSettings, prog: str = "scrapy crawl") -> None:
    """For a command's ``process_options``, before Scrapy sets up logging:
    a ``LOG_FILE`` that cannot be written ends the command here, in one line
    and with exit status 2."""
    try:
        check_log_file(settings)
    except BadArguments as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        raise SystemExit(int(exc.exit_code)) from None
    install_log_filters(quiet=settings.getbool("ARCHIVE_LOG_QUIET", True))


def start_line(
    run_id: str, spider: str | None, arguments: Mapping[str, Any], directory: Path, site: str
) -> str:
    """The first line a run logs.

    >>> start_line("r1", "stories", {"codes": "1-5"}, Path("archive"), "https://example.org")
    'Run r1 (stories) started: codes=1-5, site https://example.org, archive archive'
    >>> start_line("r2", "latest", {}, Path("/srv/a"), "https://example.org")
    'Run r2 (latest) started: site https://example.org, archive /srv/a'
    """
    parts = [f"{key}={value}" for key, value in arguments.items()]
    parts += [f"site {site}", f"archive {directory}"]
    return f"Run {run_id} ({spider}) started: {', '.join(parts)}"


class FailureLog:
    """One WARNING line per failed or blocked code (both make the exit status
    3), up to ``limit``; the rest are counted and told in one line at the
    end (all are in the ledger, state ``failed`` or ``blocked``)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.count = 0

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> FailureLog:
        return cls(settings.getint("ARCHIVE_LOG_FAILED_MAX", 20))

    def failed(self, code: int, reason: str | None, state: str = "failed") -> None:
        self.count += 1
        if self.count <= self.limit:
            logger.warning("Story %s %s: %s", code, state, reason or "unknown")

    def close(self) -> None:
        """Call once, before the summary."""
        more = self.count - self.limit
        if more > 0:
            logger.warning(
                "... and %d more failed or blocked code(s): the run file lists them, the"
                " ledger has them as failed or blocked",
                more,
            )
