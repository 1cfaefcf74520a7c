"""Appending WARC records to a run's own gzip-compressed WARC files.

warcio serializes each record; each record becomes one gzip member, and all the
members of one capture reach the file in one ``write()``, as archive lines do:
a killed process leaves whole members and at most one torn tail, which the
next start moves aside (``crawler.warc.repair``). Files rotate at a size limit.
"""

from __future__ import annotations

import io
import os
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from isal import isal_zlib
from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import WARCWriter

from crawler import __version__
from crawler.archive.writer import DurableAppend, fsync_directory
from crawler.warc.records import BUILDER, WARC_VERSION

WARC_DIR = "warc"
WARC_GLOB = "*.warc.gz"
# One gzip member per record, as the WARC spec's annex asks, with a gzip
# header (wbits 16 + 15) every reader knows.
GZIP_WBITS = 31


def warc_file_name(run_id: str, sequence: int) -> str:
    """Names sort in run order, then in rotation order.

    >>> warc_file_name("20261128T040232.118337Z-1a2b3c", 0)
    'story-archive-20261128T040232.118337Z-1a2b3c-00000.warc.gz'
    """
    return f"story-archive-{run_id}-{sequence:05d}.warc.gz"


# ISA-L's deflate (python-isal) at its levels 1 to 3: level 1 makes members
# as small as zlib's level 1 in under a third of the time (``python -m
# bench.warc levels``). Any other level is zlib's own.
ISAL_LEVELS = range(1, 4)


def gzip_member(data: bytes, level: int) -> bytes:
    """One complete gzip member.

    >>> import gzip
    >>> [gzip.decompress(gzip_member(b"WARC/1.1", level)) for level in (0, 1, 9)]
    [b'WARC/1.1', b'WARC/1.1', b'WARC/1.1']
    """
    if level in ISAL_LEVELS:
        return isal_zlib.compress(data, level, wbits=GZIP_WBITS)
    return zlib.compress(data, level, wbits=GZIP_WBITS)


class RecordSerializer:
    """Records as warcio writes them, each compressed as one gzip member.

    warcio's own gzip wrapper always compresses at level 9, several times
    level 1's time for a sixth less disk (``python -m bench.warc levels``), so
    warcio writes the plain record into a reused buffer and the member is
    made here. One warcio writer serves every record (making one looks up the
    host name).
    """

    def __init__(self, level: int):
        self.level = level
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=False, warc_version=WARC_VERSION)

    def __call__(self, record: ArcWarcRecord) -> bytes:
        return gzip_member(self.plain(record), self.level)

    def plain(self, record: ArcWarcRecord) -> bytes:
        """The record as warcio writes it, uncompressed."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.write_record(record)
        return self._buffer.getvalue()


def serialize(record: ArcWarcRecord, level: int) -> bytes:
    """A record as warcio writes it, compressed as one gzip member."""
    return RecordSerializer(level)(record)


@dataclass(frozen=True)
class Written:
    """Where a capture's records landed: the file and each record's (offset, end)."""

    file: str
    spans: list[tuple[int, int]]

    @property
    def end(self) -> int:
        return self.spans[-1][1]


class WarcFileWriter(DurableAppend):
    """``directory/story-archive-{run_id}-{n}.warc.gz``, each file starting with
    a ``warcinfo`` record, created on the first capture."""

    def __init__(
        self,
        directory: Path,
        run_id: str,
        *,
        max_bytes: int,
        fsync_interval: float,
        level: int,
        info: dict[str, str] | None = None,
    ):
        self.directory = directory
        self.run_id = run_id
        self.max_bytes = max_bytes
        self.fsync_interval = fsync_interval
        self.level = level
        self.info = {
            "software": f"story-archive/{__version__} (warcio/{version('warcio')})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": run_id,
            **(info or {}),
        }
        self.sequence = -1
        self.path: Path | None = None
        self._size = 0
        self._serialize = RecordSerializer(level)

    @property
    def name(self) -> str | None:
        return self.path.name if self.path else None

    def write(self, records: Sequence[ArcWarcRecord]) -> Written:
        """Write records (one gzip member each) with a single ``write()``."""
        return self.write_members([self._serialize(record) for record in records])

    def write_members(self, members: Sequence[bytes]) -> Written:
        """Write serialized records with a single ``write()``."""
        data = b"".join(members)
        if self._fd is None or (self._size > 0 and self._size + len(data) > self.max_bytes):
            self._rotate()
        assert self._fd is not None and self.path is not None
        offset = self._size
        self._write_all(data, offset)
        spans = []
        for member in members:
            spans.append((offset, offset + len(member)))
            offset += len(member)
        self._size = offset
        self._dirty = True
        self._maybe_sync()
        return Written(self.path.name, spans)

    def _write_all(self, data: bytes, offset: int) -> None:
        assert self._fd is not None
        try:
            written = os.write(self._fd, data)
            if written != len(data):
                raise OSError(f"short write to {self.path}: {written} of {len(data)} bytes")
        except OSError:
            os.ftruncate(self._fd, offset)
            raise

    def _rotate(self) -> None:
        self.close()
        self.sequence += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / warc_file_name(self.run_id, self.sequence)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._size = os.fstat(self._fd).st_size
        self._last_sync = time.monotonic()
        # The new file's directory entry must survive a reboot too.
        fsync_directory(self.directory)
        warcinfo = BUILDER.create_warcinfo_record(self.path.name, self.info)
        member = self._serialize(warcinfo)
        self._write_all(member, self._size)
        self._size += len(member)
        self._dirty = True
