"""Publication dates: reading the dates a page shows, choosing the one the archive keeps.

Every offset comes from the IANA database (``Asia/Tehran``): Iran kept daylight
saving time (+04:30 in summer) until September 2022 and has been on +03:30
since, so no fixed offset is right for every story.

Visible dates come in English (``Thursday 11 May 2023 - 15:52``,
``Apr 20, 2020 09:23 UTC``, ``29 December 2016``) and in the Jalali calendar
with Persian or Arabic-Indic digits (``پنجشنبه ۹ دی ۱۳۹۵ ساعت ۱۹:۵۸``,
``۰۹ مهر ۱۴۰۵ - ۱۵:۴۵``); page metadata in ISO 8601 or ``... GMT``. Each
reading keeps how precise it is (a day, a minute, a second), so that
:func:`choose_published` can tell a metadata time that refines what the page
shows from one that contradicts it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import IntEnum
from zoneinfo import ZoneInfo

import jdatetime
from dateutil.parser import isoparse

TEHRAN = ZoneInfo("Asia/Tehran")

# Notes choose_published may return (the page object passes them on).
DATE_CONFLICT = "date_conflict"
DATE_WITHOUT_TIME = "date_without_time"


class Precision(IntEnum):
    """How much of an instant a date text states; a finer reading may refine a coarser one."""

    DAY = 0
    MINUTE = 1
    SECOND = 2


@dataclass(frozen=True)
class DateReading:
    """One date read from a page.

    ``day`` is the Tehran calendar day; ``at`` the instant in Tehran time, or
    ``None`` when the text gives no time of day (never an invented midnight).
    """

    day: date
    at: datetime | None
    precision: Precision


# Persian (U+06F0-U+06F9) and Arabic-Indic (U+0660-U+0669) digits read as ASCII
# ones. One character for one, so match positions stay those of the text.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")

# Gaps are horizontal white space only, so a date at the end of one line does
# not pair with a time or a year on the next.
_GAP = r"[^\S\r\n]"

_EN_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_EN_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}

_JALALI_MONTH_NAMES = (
    *("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور"),
    *("مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"),
)


def _jalali_key(name: str) -> str:
    # Pages also write the Arabic yeh (U+064A) and a plain alef for alef madda.
    return name.replace("\u064a", "\u06cc").replace("\u0622", "\u0627")


_JALALI_MONTHS = {_jalali_key(name): n for n, name in enumerate(_JALALI_MONTH_NAMES, start=1)}
_JALALI_MONTH = "|".join(
    re.escape(name).replace("\u06cc", "[\u06cc\u064a]").replace("\u0622", "[\u0622\u0627]")
    for name in sorted(_JALALI_MONTH_NAMES, key=len, reverse=True)
)

# Only the day-month-year core is matched, so a weekday or a label before it
# ("Thursday 11 May 2023", "Publish Date : Sunday, ...") needs no pattern, and
# is not checked against the date. Every form starts with the day's digits (a
# month written first is looked up behind them, with _MONTH_BEFORE), so the
# scan stops only at digits and reads a whole page's text quickly.
# (?<![0-9]{2}) after the first digit: no digit stands before the day.
_DATE = re.compile(
    rf"""
    (?P<day>[0-9](?<![0-9]{{2}})[0-9]?)
    (?:
        {_GAP}+(?P<month>{_EN_MONTH})\.?,?{_GAP}+
      | {_GAP}+(?P<jalali_month>{_JALALI_MONTH})(?:(?:{_GAP}|\u200c)*ماه)?{_GAP}+
      | ,?{_GAP}+
    )
    (?P<year>[0-9]{{4}})(?![0-9])
    """,
    re.IGNORECASE | re.VERBOSE,
)
# The month of "May 11, 2023", read backwards from the day.
_MONTH_BEFORE = re.compile(rf"(?<![a-z])(?P<month>{_EN_MONTH})\.?{_GAP}+\Z", re.IGNORECASE)
_MONTH_BEFORE_REACH = 30

# What may stand between a date and its time: a hyphen, dash, comma (Latin or
# Arabic), bar or just spaces, then optionally "ساعت" ("hour").
_TIME_SEPARATOR = rf"(?:{_GAP}*[-\u2013,\u060c|]{_GAP}*|{_GAP}+)(?:ساعت{_GAP}*)?"
_TIME = re.compile(
    rf"""
    {_TIME_SEPARATOR}
    (?P<hour>[0-9]{{1,2}}):(?P<minute>[0-9]{{2}})(?::(?P<second>[0-9]{{2}}))?(?![0-9:])
    (?:{_GAP}*(?P<half>[ap])\.?m\.?(?![a-z]))?
    (?:{_GAP}*(?P<utc>utc|gmt)(?![a-z]))?
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Something after a date that looks like a time but is not one _TIME reads
# ("15.52", "24:00", "15:523"): the date is refused rather than read without it.
_TIME_LIKE = re.compile(rf"{_TIME_SEPARATOR}[0-9]{{1,2}}[:.][0-9]")

# isoparse alone would accept a bare "2023" or "2023-05" as midnight; a
# publication time must be stated, not guessed.
_ISO_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?P<second>:[0-9]{2})?"
)
# The form sites write, which datetime.fromisoformat reads as isoparse does
# (checked over every field's edge values), forty times faster; isoparse reads
# the rest (24:00, basic formats, fractions of a second).
_PLAIN_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
)
# NewsStudio writes "2018-03-17 10:12:39 GMT".
_ZONE_NAME = re.compile(r"[^\S\r\n]+(?:GMT|UTC)$", re.IGNORECASE)


def visible_dates(text: str) -> list[DateReading]:
    """Every date ``text`` shows, in text order, English and Jalali alike.

    English: ``[Weekday][,] D Month[,] YYYY`` or ``Month D, YYYY``, month names
    full or abbreviated, any case. Jalali: ``[Weekday] D Month YYYY`` with
    Persian month names and Persian, Arabic-Indic or ASCII digits, converted
    to the Gregorian calendar. Either may be followed by a time: a hyphen,
    dash, comma, bar or spaces, optionally ``ساعت``, then ``HH:MM[:SS]`` on the
    24-hour clock or with ``AM``/``PM``, optionally ``UTC``/``GMT`` (then
    converted to Tehran time; otherwise the time is Tehran local time).

    A date not followed by a time is read to the day (the site header's
    today-date is such a reading); an impossible date, or a date followed by
    something time-like that is not a valid time (``24:00``, ``15.52``), is no
    reading at all.

    Local times the clock skipped or repeated resolve as :mod:`zoneinfo` does
    for ``fold=0``: a skipped time (spring forward, e.g. 2021-03-22 00:30) keeps
    the offset in force before the change (+03:30); a repeated time (e.g.
    2021-09-21 23:30) is taken as its first occurrence, still on summer time.

    >>> [to_iso(r.at) for r in visible_dates("پنجشنبه ۹ دی ۱۳۹۵ ساعت ۱۹:۵۸")]
    ['2016-12-29T19:58:00+03:30']
    >>> [to_iso(r.at) for r in visible_dates("Apr 20, 2020 09:23 UTC")]
    ['2020-04-20T13:53:00+04:30']
    >>> visible_dates("19 Jul 2024")
    [DateReading(day=datetime.date(2024, 7, 19), at=None, precision=<Precision.DAY: 0>)]
    """
    ascii_text = text if text.isascii() else text.translate(_DIGITS)
    readings = []
    for match in _DATE.finditer(ascii_text):
        reading = _reading(ascii_text, match)
        if reading is not None:
            readings.append(reading)
    return readings


def _day(text: str, match: re.Match[str]) -> date:
    """The Gregorian day a date match names; ValueError if it names none."""
    year, day = int(match["year"]), int(match["day"])
    if match["jalali_month"]:
        month = _JALALI_MONTHS[_jalali_key(match["jalali_month"])]
        gregorian: date = jdatetime.date(year, month, day).togregorian()
        return gregorian
    name = match["month"]
    if name is None:
        start = match.start()
        before = _MONTH_BEFORE.search(text, max(0, start - _MONTH_BEFORE_REACH), start)
        if before is None:
            raise ValueError("a day and a year with no month")
        name = before["month"]
    return date(year, _EN_MONTHS[name[:3].lower()], day)


def _reading(text: str, match: re.Match[str]) -> DateReading | None:
    try:
        day = _day(text, match)
    except (ValueError, OverflowError):  # 31 Feb, 30 Esfand of a common year, year 0
        return None
    clock = _TIME.match(text, match.end())
    if clock is None:
        if _TIME_LIKE.match(text, match.end()):
            return None
        return DateReading(day, None, Precision.DAY)
    hour = int(clock["hour"])
    if clock["half"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if clock["half"].lower() == "p" else 0)
    try:
        wall = datetime.combine(day, time(hour, int(clock["minute"]), int(clock["second"] or 0)))
        at = (
            wall.replace(tzinfo=UTC).astimezone(TEHRAN)
            if clock["utc"]
            else wall.replace(tzinfo=TEHRAN)
        )
    except (ValueError, OverflowError):  # 25:00, or past year 9999 in Tehran
        return None
    return DateReading(at.date(), at, Precision.SECOND if clock["second"] else Precision.MINUTE)


def parse_visible_date(text: str) -> datetime | None:
    """The first date *with a time* in ``text`` (see :func:`visible_dates`), in Tehran time.

    A date without a time, such as the site header's today-date, is skipped.

    >>> parse_visible_date("Thursday 11 May 2023 - 15:52").isoformat()
    '2023-05-11T15:52:00+03:30'
    >>> parse_visible_date("Publish Date : Sunday, 4 jul 2021 09:41:07").isoformat()
    '2021-07-04T09:41:07+04:30'
    >>> parse_visible_date("شنبه ۲۲ آذر ۱۴۰۴ ساعت ۱۳:۱۹").isoformat()
    '2025-12-13T13:19:00+03:30'
    >>> parse_visible_date("19 Jul 2024") is None
    True
    """
    return next((r.at for r in visible_dates(text) if r.at is not None), None)


def meta_date(text: str) -> DateReading | None:
    """Read an ISO 8601 date and time from page metadata, in Tehran time.

    A value ending in ``Z``, an offset, or `` GMT``/`` UTC`` is converted; a
    value without any is Tehran local time. A value without a time of day, or
    anything that is not ISO 8601, gives ``None``.

    >>> reading = meta_date("2018-03-17 10:12:39 GMT")
    >>> to_iso(reading.at), reading.precision.name
    ('2018-03-17T13:42:39+03:30', 'SECOND')
    >>> meta_date("2026-10-04T20:30Z").day
    datetime.date(2026, 10, 5)
    """
    value = text.strip()
    value = _ZONE_NAME.sub("+00:00", value if value.isascii() else value.translate(_DIGITS))
    iso = _ISO_DATE_TIME.match(value)
    if iso is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if _PLAIN_ISO.fullmatch(value) else isoparse(value)
        at = parsed.replace(tzinfo=TEHRAN) if parsed.tzinfo is None else parsed.astimezone(TEHRAN)
    except (ValueError, OverflowError):  # OverflowError: moved past year 1 or 9999
        return None
    return DateReading(at.date(), at, Precision.SECOND if iso["second"] else Precision.MINUTE)


def parse_meta_date(text: str) -> datetime | None:
    """The instant of :func:`meta_date`, in Tehran time.

    >>> parse_meta_date("2023-05-11T12:22:00Z").isoformat()
    '2023-05-11T15:52:00+03:30'
    >>> parse_meta_date("2026-10-01T15:45:01+03:30").isoformat()
    '2026-10-01T15:45:01+03:30'
    >>> parse_meta_date("2021-06-01 10:00").isoformat()
    '2021-06-01T10:00:00+04:30'
    >>> parse_meta_date("2023-05-11") is None
    True
    """
    reading = meta_date(text)
    return None if reading is None else reading.at


def choose_published(
    visible: Iterable[str], metadata: Iterable[str]
) -> tuple[str | None, list[str]]:
    """The archive's ``published_at`` from a page's date texts, and notes on how it was chosen.

    ``visible`` holds the raw texts of the page's visible date slots in page
    order (labels, weekdays and the header's today-date may be among them);
    ``metadata`` the raw values of its date ``<meta>`` tags. The page is
    believed over its metadata, which has been seen set to wrong dates:

    1. The first visible date *with a time* is the publication date, so a
       time-less date (the header's today-date) never beats a real date line.
       A metadata value that agrees with it to the coarser of their two
       precisions only refines it (``15:45`` shown, ``15:45:01`` in metadata
       gives ``15:45:01``); one that disagrees loses, with the note
       ``date_conflict``.
    2. With only time-less visible dates, the first metadata instant that falls
       on one of their Tehran days gives the time (``29 December 2016`` and
       ``2016-12-29T16:28:00Z`` give ``2016-12-29T19:58:00+03:30``).
    3. With no visible date at all, the first metadata value is used.

    **A time-less visible date with no metadata on its day gives** ``None``,
    with the note ``date_without_time`` (and ``date_conflict`` if metadata names
    another day). No midnight is invented, and metadata the page contradicts is
    not taken. ``published_at`` is required, so such a page yields no record:
    validation counts the missing field and the run reports it, rather than
    archiving a time the site never stated.

    Returns ``(ISO 8601 Tehran time with seconds, notes)``, or ``(None, notes)``.

    >>> choose_published(["19 Jul 2024", "Thursday 11 May 2023 - 15:52"], [])
    ('2023-05-11T15:52:00+03:30', [])
    >>> choose_published(["۰۹ مهر ۱۴۰۵ - ۱۵:۴۵"], ["2026-10-01T15:45:01+03:30"])
    ('2026-10-01T15:45:01+03:30', [])
    >>> choose_published(["29 December 2016"], ["2016-12-29T16:28:00Z"])
    ('2016-12-29T19:58:00+03:30', [])
    >>> choose_published(["11 May 2023 - 15:52"], ["2031-01-01T00:00:00Z"])
    ('2023-05-11T15:52:00+03:30', ['date_conflict'])
    >>> choose_published(["29 December 2016"], [])
    (None, ['date_without_time'])
    >>> choose_published([], ["2026-10-04T20:30:00Z"])
    ('2026-10-05T00:00:00+03:30', [])
    """
    time_less: list[DateReading] = []
    timed = None
    for text in visible:  # lazily: the texts after the first date with a time are not read
        for reading in visible_dates(text):
            if reading.at is not None:
                timed = reading
                break
            time_less.append(reading)
        if timed is not None:
            break
    metas = [reading for reading in map(meta_date, metadata) if reading is not None]
    notes: list[str] = []
    if timed is not None:
        agreeing = [meta for meta in metas if _agree(timed, meta)]
        if len(agreeing) < len(metas):
            notes.append(DATE_CONFLICT)
        finer = next((meta for meta in agreeing if meta.precision > timed.precision), timed)
        return _iso(finer), notes
    if time_less:
        days = {reading.day for reading in time_less}
        on_day = [meta for meta in metas if meta.day in days]
        if len(on_day) < len(metas):
            notes.append(DATE_CONFLICT)
        if on_day:
            return _iso(on_day[0]), notes
        notes.append(DATE_WITHOUT_TIME)
        return None, notes
    if metas:
        return _iso(metas[0]), notes
    return None, notes


def _agree(a: DateReading, b: DateReading) -> bool:
    """Whether two readings name the same instant to the coarser of their precisions."""
    precision = min(a.precision, b.precision)
    if precision is Precision.DAY or a.at is None or b.at is None:
        return a.day == b.day
    # Compared in UTC: aware datetimes sharing a tzinfo compare by wall time,
    # which would call the two 23:30s of a repeated hour equal.
    utc_a, utc_b = a.at.astimezone(UTC), b.at.astimezone(UTC)
    if precision is Precision.MINUTE:
        return utc_a.replace(second=0, microsecond=0) == utc_b.replace(second=0, microsecond=0)
    return utc_a.replace(microsecond=0) == utc_b.replace(microsecond=0)


def _iso(reading: DateReading) -> str:
    assert reading.at is not None
    return to_iso(reading.at)


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
