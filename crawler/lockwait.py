"""Waiting for the archive lock (``ARCHIVE_LOCK_WAIT``) instead of exiting 6 at once.

An hourly ``latest`` started while a long backfill holds the archive then runs
as soon as the backfill ends, rather than failing (and mailing) every hour.
The lock is polled with a growing interval; the wait is logged once; a
SIGTERM or Ctrl-C during the wait ends the run at once with exit status 5.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from crawler.archive.lock import LockHeld, RunLock
from crawler.errors import ExitCode, RunError
from crawler.units import describe_seconds

logger = logging.getLogger(__name__)

FIRST_POLL = 0.5  # seconds
# The longest pause between two tries: how late a waiting run may start after
# the lock is freed.
MAX_POLL = 15.0


class LockWaitInterrupted(RunError):
    exit_code = ExitCode.INTERRUPTED


class _Stopped(BaseException):
    """What the signal handler raises: like KeyboardInterrupt, not an
    Exception, so nothing on its way can swallow it (logging would, if the
    signal came while the "Waiting" line was being written)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.name = signal.Signals(signum).name


def poll_delays(first: float = FIRST_POLL, cap: float = MAX_POLL) -> Iterator[float]:
    """
    >>> delays = poll_delays(0.5, 4.0)
    >>> [next(delays) for _ in range(6)]
    [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    """
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """SIGTERM/SIGINT end the wait (Scrapy's own handlers would only queue a
    stop for a reactor that is not running yet)."""

    def stop(signum: int, frame: Any) -> None:
        raise _Stopped(signum)

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return
    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _poll(
    lock: RunLock, deadline: float, sleep: Callable[[float], None], clock: Callable[[], float]
) -> bool:
    """Try the lock until ``deadline``; True once it is ours."""
    delays = poll_delays()
    while (remaining := deadline - clock()) > 0:
        sleep(min(next(delays), remaining))
        with contextlib.suppress(LockHeld):
            lock.acquire()
            return True
    return False


def acquire_lock(
    lock: RunLock,
    wait: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Take the lock, waiting up to ``wait`` seconds; ``LockHeld`` if it stays held."""
    try:
        lock.acquire()
        return
    except LockHeld as held:
        if wait <= 0:
            raise
        holder = held.holder
    started = clock()
    deadline = started + wait
    try:
        with _interruptible():
            # Logged once the signals are ours: whoever reads it may stop us.
            logger.info("Waiting up to %s for the archive lock: %s", describe_seconds(wait), holder)
            if _poll(lock, deadline, sleep, clock):
                logger.info("Got the archive lock after %s", describe_seconds(clock() - started))
                return
    except _Stopped as stopped:
        raise LockWaitInterrupted(
            f"stopped by {stopped.name} while waiting for the archive lock"
        ) from None
    lock.acquire()  # one last try: raises LockHeld with the current holder
