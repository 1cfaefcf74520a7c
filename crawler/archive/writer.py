"""Appending records to a run's own JSON Lines file.

Each record is serialized into memory first (:class:`LineSerializer`), then
reaches the file in one ``write()``: a killed process leaves either the
whole line or (at worst, mid-syscall on a full disk) a tail that the next
start's repair moves aside. A failed write is rolled back to the last line end.
"""

from __future__ import annotations

import operator
import os
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import orjson
from isal import isal_zlib
from itemadapter import ItemAdapter
from scrapy.utils.serialize import ScrapyJSONEncoder

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
    """Records to archive lines: UTF-8, no ``\\u`` escapes but for control
    characters, ``\\n``-ended, byte for byte as Scrapy's JsonLinesItemExporter
    (json's separators ``", "`` and ``": "``) has always written them.

    orjson writes a string, an integer or null exactly as json does (checked
    for every code point), only without the spaces after separators, so each
    value is written by orjson and the keys and separators are written here;
    a value of any other type is written by json itself.

    >>> line = LineSerializer()(StoryItem(story_code=7, title="T\\u200c\\n", tags=["a", "b"]))
    >>> line[:68]
    b'{"story_code": 7, "url": null, "language": "en", "title": "T\\xe2\\x80\\x8c\\\\n", '
    >>> line.endswith(b'"tags": ["a", "b"], "images": [], "crawled_at": null, "layout": null, '
    ...     b'"content_sha256": null, "revision": 1, "previous_sha256": null}\\n')
    True
    """

    def __init__(self) -> None:
        # The exporter's encoder: it writes what orjson does not take.
        self._json = ScrapyJSONEncoder(ensure_ascii=False).encode
        self._keys = [
            ("{" if index == 0 else ", ").encode() + self._json(name).encode() + b": "
            for index, name in enumerate(RECORD_FIELDS)
        ]
        self._fields_of_story = operator.attrgetter(*RECORD_FIELDS)

    def __call__(self, item: Any) -> bytes:
        if type(item) is StoryItem:
            values = self._fields_of_story(item)
        else:
            adapter = ItemAdapter(item)
            values = tuple(adapter.get(name) for name in RECORD_FIELDS)
        try:
            written = [self._value(value) for value in values]
        except orjson.JSONEncodeError:
            # A lone surrogate, an integer past 64 bits: json writes (or
            # refuses) the line as it always did.
            record = dict(zip(RECORD_FIELDS, values, strict=True))
            return (self._json(record) + "\n").encode("utf-8")
        parts = [part for pair in zip(self._keys, written, strict=True) for part in pair]
        return b"".join(parts) + b"}\n"

    def _value(self, value: Any) -> bytes:
        kind = type(value)
        if kind is str or kind is int or value is None:
            return orjson.dumps(value)
        if kind is list and all(type(entry) is str for entry in value):  # tags, images
            return b"[" + b", ".join(map(orjson.dumps, value)) + b"]"
        return self._json(value).encode("utf-8")


def line_crc32(line: bytes) -> int:
    """The CRC-32 the ledger keeps of a line as written (``content_sha256``
    covers title, lead and body only; this, every byte of the line).

    >>> line_crc32(b'{"story_code": 1}\\n') == line_crc32(b'{"story_code": 7}\\n')
    False
    """
    return int(isal_zlib.crc32(line))


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

    def append(self, item: Any) -> tuple[int, int, int]:
        """Write one record; return its (offset, end) in the file and its
        line's :func:`line_crc32`."""
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
        return offset, self._size, line_crc32(line)

    def _open(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._size = os.fstat(self._fd).st_size
        self._last_sync = time.monotonic()
        # The new file's directory entry must survive a reboot too.
        fsync_directory(self.path.parent)
