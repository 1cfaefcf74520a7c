"""Why a run stops before or instead of doing its work, and the exit status
each reason gives (documented in the README)."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    ERROR = 1  # an unexpected error: a bug, or something outside this table
    USAGE = 2  # bad arguments or settings; nothing was requested
    FAILURES = 3  # finished; more codes failed or blocked than ARCHIVE_FAILED_MAX_RATIO allows
    UNREACHABLE = 4  # the site is unreachable or blocking us: every request failed or was refused
    INTERRUPTED = 5  # SIGTERM/SIGINT: stopped early, unfinished codes are fetched next run
    LOCKED = 6  # another run holds the archive directory's lock; nothing was touched
    STORAGE = 7  # the archive could not be written (disk full, read-only, ...)
    LAYOUT_CHANGED = 8  # pages the extractor did not understand: the site's layout changed


class RunError(Exception):
    """A run that must stop with a given exit status and a one-line message."""

    exit_code = ExitCode.ERROR


class BadArguments(RunError, ValueError):
    exit_code = ExitCode.USAGE


class ArchiveLocked(RunError):
    exit_code = ExitCode.LOCKED


class StorageError(RunError):
    exit_code = ExitCode.STORAGE
