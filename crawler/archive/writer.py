"""Appending records to a run's own JSON Lines file.

Each record is serialized by Scrapy's JsonLinesItemExporter into memory first,
then reaches the file in one ``write()``: a killed process leaves either the
whole line or (at worst, mid-syscall on a full disk) a tail that the next
start's repair moves aside. A failed write is rolled back to the last line end.
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

from scrapy.exporters import JsonLinesItemExporter

from crawler.items import StoryItem

ARCHIVE_GLOB = "stories-*.jsonl"
RECORD_FIELDS = [f.name for f in fields(StoryItem)]


def archive_file_name(run_id: str) -> str:
    """
    >>> archive_file_name("20261128T040232Z-1a2b3c")
    'stories-20261128T040232Z-1a2b3c.jsonl'
    """
    return f"stories-{run_id}.jsonl"


def fsync_directory(directory: Path) -> None:
    """Make the directory's entries (a new file, a rename) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DurableAppend:
    """An append-only file whose writes reach the disk (fsync) at most every
    ``fsync_interval`` seconds, and on :meth:`sync` and :meth:`close`: what
    the JSON Lines writer and the WARC writer share."""

    fsync_interval: float
    _fd: int | None = None
    _last_sync = 0.0
    _dirty = False

    def _maybe_sync(self) -> None:
        if time.monotonic() - self._last_sync >= self.fsync_interval:
            self.sync()

    def sync(self) -> None:
        if self._fd is not None and self._dirty:
            os.fsync(self._fd)
            self._dirty = False
        self._last_sync = time.monotonic()

    def close(self) -> None:
        if self._fd is None:
            return
        try:
            self.sync()
        finally:
            os.close(self._fd)
            self._fd = None


class LineSerializer:
    """Records to archive lines (UTF-8, no ``\\u`` escapes, ``\\n``-ended),
    through one JsonLinesItemExporter writing into a reused buffer."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._exporter = JsonLinesItemExporter(
            self._buffer,
            encoding="utf-8",
            fields_to_export=RECORD_FIELDS,
            export_empty_fields=True,
        )
        self._exporter.start_exporting()

    def __call__(self, item: Any) -> bytes:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._exporter.export_item(item)
        return self._buffer.getvalue()


class ArchiveWriter(DurableAppend):
    """Appends to ``directory/stories-{run_id}.jsonl``, created on the first
    record so a run that archives nothing leaves no empty file behind."""

    def __init__(self, directory: Path, run_id: str, fsync_interval: float = 1.0):
        self.path = directory / archive_file_name(run_id)
        self.fsync_interval = fsync_interval
        self._size = 0
        self._serialize = LineSerializer()

    @property
    def name(self) -> str:
        return self.path.name

    def append(self, item: Any) -> tuple[int, int]:
        """Write one record; return its (offset, end) in the file."""
        line = self._serialize(item)
        if self._fd is None:
            self._open()
        assert self._fd is not None
        offset = self._size
        try:
            written = os.write(self._fd, line)
            if written != len(line):
                raise OSError(f"short write to {self.path}: {written} of {len(line)} bytes")
        except OSError:
            os.ftruncate(self._fd, offset)
            raise
        self._size = offset + len(line)
        self._dirty = True
        self._maybe_sync()
        return offset, self._size

    def _open(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._size = os.fstat(self._fd).st_size
        self._last_sync = time.monotonic()
        # The new file's directory entry must survive a reboot too.
        fsync_directory(self.path.parent)
