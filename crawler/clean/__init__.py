"""Pure helpers that turn page text into archive field values."""

from crawler.clean.dates import (
    TEHRAN,
    DateReading,
    Precision,
    choose_published,
    meta_date,
    parse_meta_date,
    parse_visible_date,
    to_iso,
    to_utc_iso,
    utc_now_iso,
    visible_dates,
)
from crawler.clean.sources import (
    known_source,
    parse_byline,
    short_source,
    source_in_attribution,
    trailing_source,
)
from crawler.clean.text import join_paragraphs, normalize_optional, normalize_text

__all__ = [
    "TEHRAN",
    "DateReading",
    "Precision",
    "choose_published",
    "join_paragraphs",
    "known_source",
    "meta_date",
    "normalize_optional",
    "normalize_text",
    "parse_byline",
    "parse_meta_date",
    "parse_visible_date",
    "short_source",
    "source_in_attribution",
    "to_iso",
    "to_utc_iso",
    "trailing_source",
    "utc_now_iso",
    "visible_dates",
]
