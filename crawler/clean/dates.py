"""Publication dates: parsing the page's Tehran-local dates, formatting for the archive.

Every offset comes from the IANA database (``Asia/Tehran``): Iran kept daylight
saving time (+04:30 in summer) until September 2022 and has been on +03:30
since, so no fixed offset is right for every story.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateutil.parser import isoparse

TEHRAN = ZoneInfo("Asia/Tehran")

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}

# Only the day-month-year-time core is matched, so a weekday before it
# ("Thursday 11 May 2023", "Publish Date : Sunday, ...") needs no pattern. The
# time is required: the header's today-date ("19 Jul 2024") has none and must
# never be taken for the publication date. Gaps are horizontal white space
# only, so a date at the end of one line does not pair with a time on the next.
_VISIBLE_DATE = re.compile(
    r"""
    (?<![0-9])(?P<day>[0-9]{1,2})[^\S\r\n]+
    (?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?
        |sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?,?[^\S\r\n]+
    (?P<year>[0-9]{4})
    (?:[^\S\r\n]*[-\u2013,][^\S\r\n]*|[^\S\r\n]+)
    (?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?
    (?![0-9:]|[^\S\r\n]*[ap]\.?m\b)  # a 12-hour time would be read wrong: refuse it
    """,
    re.IGNORECASE | re.VERBOSE,
)

# isoparse alone would accept a bare "2023" or "2023-05" as midnight; a
# publication time must be stated, not guessed.
_ISO_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}")


def parse_visible_date(text: str) -> datetime | None:
    """Find the first visible date and time in ``text`` and return it in Tehran time.

    Accepts ``[Weekday][,] D Month YYYY SEP HH:MM[:SS]`` anywhere in the text,
    SEP being a hyphen, an en dash, a comma or spaces; month names full or
    abbreviated, any case; 24-hour clock. A date without a time, an impossible
    date or a 12-hour time gives ``None``; the weekday, if any, is not checked
    against the date. The first valid date-time in the text wins.

    Local times the clock skipped or repeated resolve as :mod:`zoneinfo` does
    for ``fold=0``: a skipped time (spring forward, e.g. 2021-03-22 00:30) keeps
    the offset in force before the change (+03:30); a repeated time (e.g.
    2021-09-21 23:30) is taken as its first occurrence, still on summer time
    (+04:30).

    >>> parse_visible_date("Thursday 11 May 2023 - 15:52").isoformat()
    '2023-05-11T15:52:00+03:30'
    >>> parse_visible_date("Publish Date : Sunday, 4 jul 2021 09:41:07").isoformat()
    '2021-07-04T09:41:07+04:30'
    >>> parse_visible_date("19 Jul 2024") is None
    True
    """
    for match in _VISIBLE_DATE.finditer(text):
        try:
            return datetime(
                int(match["year"]),
                _MONTHS[match["month"][:3].lower()],
                int(match["day"]),
                int(match["hour"]),
                int(match["minute"]),
                int(match["second"] or 0),
                tzinfo=TEHRAN,
            )
        except ValueError:
            continue  # 31 Feb or 25:00: not a date, look further
    return None


def parse_meta_date(text: str) -> datetime | None:
    """Parse an ISO 8601 date and time from page metadata, in Tehran time.

    A value without an offset is Tehran local time. A value without a time
    of day, or anything that is not ISO 8601, gives ``None``.

    >>> parse_meta_date("2023-05-11T12:22:00Z").isoformat()
    '2023-05-11T15:52:00+03:30'
    >>> parse_meta_date("2021-06-01 10:00").isoformat()
    '2021-06-01T10:00:00+04:30'
    >>> parse_meta_date("2023-05-11") is None
    True
    """
    value = text.strip()
    if not _ISO_DATE_TIME.match(value):
        return None
    try:
        parsed = isoparse(value)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=TEHRAN)
        return parsed.astimezone(TEHRAN)
    except (ValueError, OverflowError):  # OverflowError: moved past year 1 or 9999
        return None


def to_iso(dt: datetime) -> str:
    """Format as Tehran local time with seconds and the offset in force then.

    ``dt`` must be aware: a naive value has no defined instant.

    >>> to_iso(datetime(2021, 9, 21, 19, 0, tzinfo=UTC))
    '2021-09-21T23:30:00+04:30'
    >>> to_iso(datetime(2023, 5, 11, 12, 22, 30, 999, tzinfo=UTC))
    '2023-05-11T15:52:30+03:30'
    """
    return _require_aware(dt).astimezone(TEHRAN).isoformat(timespec="seconds")


def to_utc_iso(dt: datetime) -> str:
    """Format as UTC with seconds and ``Z``; ``dt`` must be aware.

    >>> to_utc_iso(datetime(2023, 5, 11, 15, 52, tzinfo=TEHRAN))
    '2023-05-11T12:22:00Z'
    """
    utc = _require_aware(dt).astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def utc_now_iso() -> str:
    """The current time as :func:`to_utc_iso` formats it.

    >>> len(utc_now_iso())
    20
    """
    return to_utc_iso(datetime.now(UTC))


def _require_aware(dt: datetime) -> datetime:
    if dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()} has no time zone")
    return dt
