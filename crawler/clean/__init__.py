"""Pure helpers that turn page text into archive field values."""

from crawler.clean.dates import (
    TEHRAN,
    parse_meta_date,
    parse_visible_date,
    to_iso,
    to_utc_iso,
    utc_now_iso,
)
from crawler.clean.sources import known_source, parse_byline, short_source
from crawler.clean.text import join_paragraphs, normalize_optional, normalize_text

__all__ = [
    "TEHRAN",
    "join_paragraphs",
    "known_source",
    "normalize_optional",
    "normalize_text",
    "parse_byline",
    "parse_meta_date",
    "parse_visible_date",
    "short_source",
    "to_iso",
    "to_utc_iso",
    "utc_now_iso",
]
