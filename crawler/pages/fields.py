"""The one place where page objects reach the shared date and source decisions.

``crawler.clean.dates.choose_published`` (Jalali, ``GMT``/``Z``, the visible
date against metadata) and ``crawler.clean.sources.source_in_attribution``
(Persian ``به گزارش ... خبرگزاری X``) are being written on their own branch.
Until they land, the stand-ins below keep today's behaviour (English dates and
ISO metadata only, no attribution sentences); once they land, ``getattr``
picks them up and the stand-ins can be deleted with the two ``getattr`` lines
becoming plain imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from crawler.clean import dates, sources
from crawler.clean.dates import parse_meta_date, parse_visible_date, to_iso

DateDecision = Callable[[Iterable[str], Iterable[str]], tuple[str | None, list[str]]]


def _choose_published_stand_in(
    visible: Iterable[str], metadata: Iterable[str]
) -> tuple[str | None, list[str]]:
    """The visible date beats metadata; a disagreement is noted.

    >>> _choose_published_stand_in(["Sunday 14 January 2024 - 09:41"], ["2031-01-01T00:00:00Z"])
    ('2024-01-14T09:41:00+03:30', ['date_conflict'])
    >>> _choose_published_stand_in([], ["2023-05-11T12:22:00Z"])
    ('2023-05-11T15:52:00+03:30', [])
    """
    shown = next(filter(None, map(parse_visible_date, visible)), None)
    meta = next(filter(None, map(parse_meta_date, metadata)), None)
    notes = ["date_conflict"] if shown and meta and shown != meta else []
    chosen = shown or meta
    return (to_iso(chosen) if chosen else None), notes


def _source_in_attribution_stand_in(paragraph: str) -> str | None:
    """No attribution sentence is recognised yet.

    >>> _source_in_attribution_stand_in("به گزارش خبرگزاری مهر، ...") is None
    True
    """
    return None


choose_published: DateDecision = getattr(dates, "choose_published", _choose_published_stand_in)
source_in_attribution: Callable[[str], str | None] = getattr(
    sources, "source_in_attribution", _source_in_attribution_stand_in
)
parse_byline: Callable[[str], str | None] = sources.parse_byline

__all__ = ["choose_published", "parse_byline", "source_in_attribution"]
