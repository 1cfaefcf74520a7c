"""Walking a WARC file's gzip members (one record each) and reading one back.

ISA-L's inflate (python-isal) does the decompressing: about twice zlib's
speed, for the same bytes. Input is fed a window at a time, so a member's
end is found without copying the rest of a large read over and over.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from isal import isal_zlib

from crawler.warc.writer import GZIP_WBITS

READ_SIZE = 1 << 20
# Bytes handed to the decompressor at once: a member is usually smaller, and
# what it leaves unread is copied back out on each member's end.
WINDOW = 1 << 14


def members(path: Path, start: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """``(offset, end, data)`` of each whole gzip member from ``start`` on, in
    order, ``data`` decompressed; it stops before the first member that is
    cut short or is not gzip.

    >>> import gzip, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "x.warc.gz"
    ...     one, two = gzip.compress(b"one"), gzip.compress(b"two")
    ...     _ = path.write_bytes(one + two + gzip.compress(b"three")[:-3])
    ...     [(offset, end - offset, data) for offset, end, data in members(path)]
    [(0, 23, b'one'), (23, 23, b'two')]
    """
    with path.open("rb") as handle:
        handle.seek(start)
        data = memoryview(handle.read(READ_SIZE))
        base, position = start, 0  # data[0] is at file offset base
        while True:
            if position == len(data):
                more = handle.read(READ_SIZE)
                if not more:
                    return
                base, data, position = base + len(data), memoryview(more), 0
            offset = base + position
            member = isal_zlib.decompressobj(GZIP_WBITS)
            parts = []
            while True:
                if position == len(data):
                    more = handle.read(READ_SIZE)
                    if not more:
                        return  # cut short
                    base, data, position = base + len(data), memoryview(more), 0
                window = data[position : position + WINDOW]
                try:
                    parts.append(member.decompress(window))
                except isal_zlib.error:  # type: ignore[misc]  # its stub calls it an instance
                    return
                if member.eof:
                    position += len(window) - len(member.unused_data)
                    break
                position += len(window)
            yield offset, base + position, b"".join(parts)


GZIP_MAGIC = b"\x1f\x8b\x08"


def whole_member_after(path: Path, at: int) -> int | None:
    """Where the first whole gzip member that starts after ``at`` begins, if
    any: what tells damage in the middle of a file (whole records follow)
    from a torn tail (nothing whole does).

    >>> import gzip, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "x.warc.gz"
    ...     one, two = gzip.compress(b"one"), gzip.compress(b"two")
    ...     _ = path.write_bytes(one + b"garbage" + two)
    ...     whole_member_after(path, len(one)), whole_member_after(path, len(one) + 8)
    (30, None)
    """
    data = path.read_bytes()
    found = data.find(GZIP_MAGIC, at + 1)
    while found != -1:
        if next(members(path, found), None) is not None:
            return found
        found = data.find(GZIP_MAGIC, found + 1)
    return None


def read_member(fd: int, offset: int, end: int) -> bytes:
    """The decompressed member at ``offset`` (ending at ``end``) of an open file."""
    return isal_zlib.decompress(os.pread(fd, end - offset, offset), wbits=GZIP_WBITS)
