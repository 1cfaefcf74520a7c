"""One run at a time per archive directory.

``flock`` is released by the kernel when its holder dies, however it dies, so a
lock left by a killed run never blocks the next one; the file's text (pid and
start time) is only there to tell a person who holds it.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from crawler.clean.dates import utc_now_iso

LOCK_NAME = ".lock"


class LockHeld(Exception):
    def __init__(self, path: Path, holder: str):
        self.path = path
        self.holder = holder or (
            "a process that did not say who it is: not a story-archive run, a backup say"
        )
        super().__init__(f"another run holds the archive lock {path} ({self.holder})")


def cannot_write(exc: OSError) -> bool:
    """Whether an error means the archive directory cannot be written here (a
    read-only mount, another user's archive)."""
    return exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)


class RunLock:
    def __init__(self, directory: Path, *, read_only: bool = False):
        """``read_only``: for a command that only reads an archive it cannot
        write. ``flock`` needs no write access, so such a command still keeps
        runs out while it reads; an archive without a lock file has never
        had a run that could hold it."""
        self.path = directory / LOCK_NAME
        self.read_only = read_only
        self._fd: int | None = None

    def acquire(self) -> None:
        if self.read_only:
            try:
                fd = os.open(self.path, os.O_RDONLY)
            except FileNotFoundError:
                return
        else:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
            os.close(fd)
            raise LockHeld(self.path, holder) from None
        if not self.read_only:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} since {utc_now_iso()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        if not self.read_only:
            os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def lock_is_held(directory: Path) -> bool | None:
    """Whether some process holds the archive lock, asked of the kernel's
    lock table without touching the lock (taking it, even for an instant,
    could make a starting run exit 6). None where /proc/locks does not exist."""
    try:
        info = os.stat(directory / LOCK_NAME)
        table = Path("/proc/locks").read_text()
    except FileNotFoundError:
        return False if Path("/proc/locks").exists() else None
    except OSError:
        return None
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    return any(line.split()[1] == "FLOCK" and device in line.split() for line in table.splitlines())
