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


def gzip_member(data: bytes, level: int) -> bytes:
    """One complete gzip member.

    >>> import gzip
    >>> gzip.decompress(gzip_member(b"WARC/1.1", 1))
    b'WARC/1.1'
    """
    return zlib.compress(data, level, wbits=GZIP_WBITS)


def serialize(record: ArcWarcRecord, level: int) -> bytes:
    """A record as warcio writes it, compressed as one gzip member.

    warcio's own gzip wrapper always compresses at level 9, more than twice
    level 1's time for a sixth less disk (``python -m bench.warc levels``), so
    warcio writes the plain record and the member is made here.
    """
    buffer = io.BytesIO()
    WARCWriter(buffer, gzip=False, warc_version=WARC_VERSION).write_record(record)
    return gzip_member(buffer.getvalue(), level)


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

    @property
    def name(self) -> str | None:
        return self.path.name if self.path else None

    def serialize(self, records: Sequence[ArcWarcRecord]) -> list[bytes]:
        """Records as gzip members; touches no state, so it may run in a
        worker thread (zlib and hashlib let go of the GIL)."""
        return [serialize(record, self.level) for record in records]

    def write(self, records: Sequence[ArcWarcRecord]) -> Written:
        """Write records (one gzip member each) with a single ``write()``."""
        return self.write_members(self.serialize(records))

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
        member = serialize(warcinfo, self.level)
        self._write_all(member, self._size)
        self._size += len(member)
        self._dirty = True
