"""Property: an archive line is byte for byte what Scrapy's JsonLinesItemExporter
(as the archive's writer used it until 0.2.0) writes for the same record, so
archives written before and after never differ for the same story."""

from __future__ import annotations

import io
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.exporters import JsonLinesItemExporter

from crawler.archive.writer import LineSerializer
from crawler.items import StoryItem

NAMES = [f.name for f in fields(StoryItem)]
# Any text at all, control characters, quotes, backslashes, ZWNJ, U+2028 and
# astral characters included; surrogates cannot be written in UTF-8 either way.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
VALUE = st.none() | TEXT | st.integers() | st.lists(TEXT, max_size=4)


def exporter_line(item: Any) -> bytes:
    buffer = io.BytesIO()
    exporter = JsonLinesItemExporter(
        buffer, encoding="utf-8", fields_to_export=NAMES, export_empty_fields=True
    )
    exporter.export_item(item)
    return buffer.getvalue()


@settings(max_examples=300, deadline=None)
@given(values=st.fixed_dictionaries({name: VALUE for name in NAMES}))
def test_a_story_record_is_written_as_the_exporter_wrote_it(values: dict[str, Any]) -> None:
    item = StoryItem(**values)
    assert LineSerializer()(item) == exporter_line(item)


@settings(max_examples=100, deadline=None)
@given(
    values=st.dictionaries(
        st.sampled_from(NAMES),
        VALUE | st.floats(allow_nan=False) | st.lists(st.integers() | st.none(), max_size=3),
    )
)
def test_any_other_record_is_written_as_the_exporter_wrote_it(values: dict[str, Any]) -> None:
    # A mapping that lacks fields, or holds values of other types.
    assert LineSerializer()(values) == exporter_line(values)


def test_a_record_with_a_lone_surrogate_is_refused_as_before() -> None:
    with pytest.raises(UnicodeEncodeError):
        exporter_line(StoryItem(title="\ud800"))
    with pytest.raises(UnicodeEncodeError):
        LineSerializer()(StoryItem(title="\ud800"))
