from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from dateutil.parser import isoparse
from hypothesis import given
from hypothesis import strategies as st

from crawler.clean.dates import (
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

TEHRAN = ZoneInfo("Asia/Tehran")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


@pytest.mark.parametrize(
    ("wall", "is_real"),
    [
        pytest.param(datetime(2021, 3, 21, 23, 59), True, id="before-spring-forward"),
        pytest.param(datetime(2021, 3, 22, 0, 30), False, id="skipped-hour-2021"),
        pytest.param(datetime(2021, 3, 22, 1, 0), True, id="after-spring-forward"),
    ],
)
def test_premise_2021_spring_forward_skips_midnight_hour(wall: datetime, is_real: bool) -> None:
    # The cases below rely on these tz database facts; check them, not assume them.
    local = wall.replace(tzinfo=TEHRAN)
    assert (local.astimezone(UTC).astimezone(TEHRAN).replace(tzinfo=None) == wall) is is_real


def test_premise_2021_fall_back_repeats_hour_before_midnight() -> None:
    first = datetime(2021, 9, 21, 23, 30, tzinfo=TEHRAN)
    second = first.replace(fold=1)
    assert first.utcoffset() == timedelta(hours=4, minutes=30)
    assert second.utcoffset() == timedelta(hours=3, minutes=30)
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Thursday 11 May 2023 - 15:52", "2023-05-11T15:52:00+03:30", id="page-a"),
        pytest.param(
            "Publish Date : Sunday 14 January 2024 - 09:41",
            "2024-01-14T09:41:00+03:30",
            id="page-b-with-label",
        ),
        pytest.param("11 May 2023 - 15:52", "2023-05-11T15:52:00+03:30", id="no-weekday"),
        pytest.param("Thursday, 11 May 2023 15:52", "2023-05-11T15:52:00+03:30", id="comma-space"),
        pytest.param("11 may 2023 \u2013 15:52", "2023-05-11T15:52:00+03:30", id="en-dash"),
        pytest.param("11 MAY 2023, 15:52:07", "2023-05-11T15:52:07+03:30", id="comma-seconds"),
        pytest.param("1 Sept. 2020 - 7:05", "2020-09-01T07:05:00+04:30", id="sept-one-digit-hour"),
        pytest.param("11 Dec, 2019 -15:52", "2019-12-11T15:52:00+03:30", id="comma-after-month"),
        pytest.param("4 Jul 2021 - 10:00", "2021-07-04T10:00:00+04:30", id="summer-2021-dst"),
        pytest.param("15 January 2021 - 10:00", "2021-01-15T10:00:00+03:30", id="winter-2021"),
        pytest.param(
            "1 August 2022 - 10:00", "2022-08-01T10:00:00+04:30", id="summer-2022-last-dst"
        ),
        pytest.param("1 July 2023 - 10:00", "2023-07-01T10:00:00+03:30", id="summer-2023-no-dst"),
        pytest.param("21 March 2021 - 23:59", "2021-03-21T23:59:00+03:30", id="before-spring-fwd"),
        pytest.param(
            "22 March 2021 - 00:30", "2021-03-22T00:30:00+03:30", id="skipped-keeps-offset-before"
        ),
        pytest.param("22 March 2021 - 01:00", "2021-03-22T01:00:00+04:30", id="after-spring-fwd"),
        pytest.param(
            "21 September 2021 - 23:30", "2021-09-21T23:30:00+04:30", id="repeated-takes-first"
        ),
        pytest.param(
            "22 September 2021 - 00:00", "2021-09-22T00:00:00+03:30", id="after-fall-back"
        ),
        pytest.param(
            "19 Jul 2024 Home Thursday 11 May 2023 - 15:52",
            "2023-05-11T15:52:00+03:30",
            id="header-date-skipped",
        ),
        pytest.param(
            "31 Feb 2023 - 10:00 then 1 Mar 2023 - 10:00",
            "2023-03-01T10:00:00+03:30",
            id="first-valid-wins",
        ),
        pytest.param("May 11, 2023 15:52", "2023-05-11T15:52:00+03:30", id="month-first"),
        pytest.param("Apr 20, 2020 09:23 UTC", "2020-04-20T13:53:00+04:30", id="utc-to-tehran"),
        pytest.param("Apr 20, 2020 - 09:23 gmt", "2020-04-20T13:53:00+04:30", id="gmt-to-tehran"),
        pytest.param(
            "Monday, December 31, 2018 21:00 UTC",
            "2019-01-01T00:30:00+03:30",
            id="utc-crosses-tehran-midnight",
        ),
        pytest.param("11 May 2023 - 03:52 PM", "2023-05-11T15:52:00+03:30", id="twelve-hour-pm"),
        pytest.param("11 May 2023 - 3:52 a.m.", "2023-05-11T03:52:00+03:30", id="twelve-hour-am"),
        pytest.param("11 May 2023, 12:05 am", "2023-05-11T00:05:00+03:30", id="twelve-am-midnight"),
        pytest.param("11 May 2023, 12:05 PM", "2023-05-11T12:05:00+03:30", id="twelve-pm-noon"),
        pytest.param(
            "17 Mar 2018 Saturday 17 March 2018 - 09:05",
            "2018-03-17T09:05:00+03:30",
            id="header-date-same-day-skipped",
        ),
    ],
)
def test_parse_visible_date(text: str, expected: str) -> None:
    parsed = parse_visible_date(text)
    assert parsed is not None
    assert parsed.tzinfo is TEHRAN
    assert to_iso(parsed) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("19 Jul 2024", id="header-date-without-time"),
        pytest.param("Thursday 11 May 2023", id="date-only"),
        pytest.param("31 Feb 2023 - 10:00", id="no-31-february"),
        pytest.param("29 February 2023 - 10:00", id="no-leap-day-2023"),
        pytest.param("0 May 2023 - 10:00", id="day-zero"),
        pytest.param("11 May 2023 - 24:00", id="hour-24"),
        pytest.param("11 May 2023 - 15:60", id="minute-60"),
        pytest.param("11 May 2023 - 15:52:61", id="second-61"),
        pytest.param("11 Mai 2023 - 15:52", id="unknown-month"),
        pytest.param("11 Mayo 2023 - 15:52", id="month-with-extra-letters"),
        pytest.param("11 May 2023\n15:52", id="time-on-next-line"),
        pytest.param("Story Code : 11\nMay 2023 - 15:52", id="day-on-line-before"),
        pytest.param("111 May 2023 - 15:52", id="three-digit-day"),
        pytest.param("11 May 20231 - 15:52", id="five-digit-year"),
        pytest.param("11 May 2023 - 15:523", id="three-digit-minute"),
        pytest.param("11 May 2023 15.52", id="dot-in-time"),
        pytest.param("2023-05-11T15:52:00+03:30", id="iso-is-not-visible-format"),
        pytest.param("11 May 2023 - 13:52 PM", id="pm-hour-over-twelve"),
        pytest.param("11 May 2023 - 0:52 AM", id="am-hour-zero"),
        pytest.param("Summary 11, 2023 - 15:52", id="month-inside-a-word"),
        pytest.param("29 December 2016", id="english-date-only"),
        pytest.param(
            "\u06f0\u06f9 \u0645\u0647\u0631 \u06f1\u06f4\u06f0\u06f5", id="jalali-date-only"
        ),
    ],
)
def test_parse_visible_date_rejects(text: str) -> None:
    assert parse_visible_date(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2023-05-11T15:52:00+03:30", "2023-05-11T15:52:00+03:30", id="tehran-offset"),
        pytest.param("2023-05-11T12:22:00Z", "2023-05-11T15:52:00+03:30", id="utc-z"),
        pytest.param("2023-05-11T10:22:00-02:00", "2023-05-11T15:52:00+03:30", id="other-offset"),
        pytest.param("2023-05-11 15:52", "2023-05-11T15:52:00+03:30", id="naive-space"),
        pytest.param("2021-07-01T10:00:00", "2021-07-01T10:00:00+04:30", id="naive-summer-2021"),
        pytest.param("2021-07-01T05:30:00Z", "2021-07-01T10:00:00+04:30", id="utc-summer-2021"),
        pytest.param("2023-05-11T15:52+0330", "2023-05-11T15:52:00+03:30", id="offset-no-colon"),
        pytest.param("2023-05-11T15:52:09.75+03:30", "2023-05-11T15:52:09+03:30", id="fraction"),
        pytest.param(" 2024-01-14T09:41:00+03:30\n", "2024-01-14T09:41:00+03:30", id="padded"),
        pytest.param("2018-03-17 10:12:39 GMT", "2018-03-17T13:42:39+03:30", id="newsstudio-gmt"),
        pytest.param("2018-06-17 10:12:39 gmt", "2018-06-17T14:42:39+04:30", id="gmt-summer-dst"),
        pytest.param("2018-03-17T10:12:39 UTC", "2018-03-17T13:42:39+03:30", id="utc-name"),
        pytest.param("2026-10-04T20:30:00Z", "2026-10-05T00:00:00+03:30", id="z-next-tehran-day"),
        pytest.param("2026-10-01T15:45:01+03:30", "2026-10-01T15:45:01+03:30", id="iransamaneh"),
        pytest.param("۲۰۲۶-۱۰-۰۱T۱۵:۴۵:۰۱+۰۳:۳۰", "2026-10-01T15:45:01+03:30", id="persian-digits"),
    ],
)
def test_parse_meta_date(text: str, expected: str) -> None:
    parsed = parse_meta_date(text)
    assert parsed is not None
    assert to_iso(parsed) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("garbage", id="garbage"),
        pytest.param("2023", id="year-only"),
        pytest.param("2023-05-11", id="date-only"),
        pytest.param("20230511T155200", id="basic-format"),
        pytest.param("2023-13-01T10:00:00", id="month-13"),
        pytest.param("2023-05-11T25:00:00", id="hour-25"),
        pytest.param("2023-05-11T15:52:00+99:00", id="bad-offset"),
        pytest.param("2023-05-11T15:52:00 +03:30", id="space-before-offset"),
        pytest.param("11 May 2023 - 15:52", id="visible-format"),
        pytest.param("9999-12-31T23:59:59-05:00", id="out-of-range-after-conversion"),
        pytest.param("2018-03-17 GMT", id="date-only-gmt"),
        pytest.param("2018-03-17 10:12:39+03:30 GMT", id="offset-and-zone-name"),
    ],
)
def test_parse_meta_date_rejects(text: str) -> None:
    assert parse_meta_date(text) is None


@pytest.mark.parametrize(
    ("dt", "expected"),
    [
        pytest.param(
            datetime(2023, 5, 11, 12, 22, tzinfo=UTC), "2023-05-11T15:52:00+03:30", id="utc"
        ),
        pytest.param(
            datetime(2021, 7, 1, 5, 30, tzinfo=UTC), "2021-07-01T10:00:00+04:30", id="utc-dst"
        ),
        pytest.param(
            datetime(2021, 9, 21, 19, 30, tzinfo=UTC),
            "2021-09-21T23:00:00+03:30",
            id="instant-of-fall-back",
        ),
        pytest.param(
            datetime(2021, 9, 21, 23, 30, fold=1, tzinfo=TEHRAN),
            "2021-09-21T23:30:00+03:30",
            id="second-of-repeated-hour",
        ),
        pytest.param(
            datetime(2024, 1, 14, 11, 11, 59, 999999, tzinfo=timezone(timedelta(hours=5))),
            "2024-01-14T09:41:59+03:30",
            id="fixed-offset-and-microseconds-dropped",
        ),
    ],
)
def test_to_iso(dt: datetime, expected: str) -> None:
    assert to_iso(dt) == expected


@pytest.mark.parametrize(
    ("dt", "expected"),
    [
        pytest.param(
            datetime(2023, 5, 11, 15, 52, tzinfo=TEHRAN), "2023-05-11T12:22:00Z", id="tehran"
        ),
        pytest.param(
            datetime(2021, 7, 1, 10, 0, tzinfo=TEHRAN), "2021-07-01T05:30:00Z", id="tehran-dst"
        ),
        pytest.param(
            datetime(2026, 11, 28, 4, 2, 32, 500000, tzinfo=UTC),
            "2026-11-28T04:02:32Z",
            id="utc-microseconds-dropped",
        ),
    ],
)
def test_to_utc_iso(dt: datetime, expected: str) -> None:
    assert to_utc_iso(dt) == expected


@pytest.mark.parametrize("convert", [to_iso, to_utc_iso], ids=["to_iso", "to_utc_iso"])
def test_naive_datetime_is_refused(convert: Callable[[datetime], str]) -> None:
    with pytest.raises(ValueError, match="naive datetime 2023-05-11T15:52:00 has no time zone"):
        convert(datetime(2023, 5, 11, 15, 52))


def test_utc_now_iso() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    text = utc_now_iso()
    after = datetime.now(UTC)
    assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", text)
    assert before <= datetime.fromisoformat(text) <= after


_WALL_TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31, 23, 59))


@given(
    wall=_WALL_TIMES,
    weekday=st.sampled_from(["", "{weekday} ", "{weekday}, ", "Publish Date : {weekday} "]),
    month=st.sampled_from(["{full}", "{abbr}", "{upper}"]),
    separator=st.sampled_from([" - ", " \u2013 ", ", ", " ", "-", "  "]),
    seconds=st.booleans(),
    pad_hour=st.booleans(),
)
def test_visible_date_round_trips(
    wall: datetime, weekday: str, month: str, separator: str, seconds: bool, pad_hour: bool
) -> None:
    wall = wall.replace(microsecond=0) if seconds else wall.replace(second=0, microsecond=0)
    full = _MONTHS[wall.month - 1]
    text = (
        weekday.format(weekday=_WEEKDAYS[wall.weekday()])
        + f"{wall.day} {month.format(full=full, abbr=full[:3], upper=full.upper())} {wall.year}"
        + separator
        + (f"{wall.hour:02d}" if pad_hour else str(wall.hour))
        + f":{wall.minute:02d}"
        + (f":{wall.second:02d}" if seconds else "")
    )
    parsed = parse_visible_date(text)
    assert parsed is not None
    assert parsed.replace(tzinfo=None) == wall
    offset = wall.replace(tzinfo=TEHRAN).utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    iso = to_iso(parsed)
    assert iso == f"{wall.isoformat(timespec='seconds')}+{minutes // 60:02d}:{minutes % 60:02d}"


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)))
def test_iso_strings_name_the_same_instant(wall: datetime) -> None:
    dt = wall.replace(tzinfo=TEHRAN)
    from_local = parse_meta_date(to_iso(dt))
    from_utc = parse_meta_date(to_utc_iso(dt))
    assert from_local is not None
    assert from_utc is not None
    # Timestamps, because == on the same tzinfo compares wall times only.
    assert from_local.timestamp() == from_utc.timestamp() == int(dt.timestamp())


# -- Jalali dates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("jalali", "gregorian"),
    [
        pytest.param((1403, 1, 1), date(2024, 3, 20), id="nowruz-1403"),
        pytest.param((1402, 1, 1), date(2023, 3, 21), id="nowruz-1402"),
        pytest.param((1400, 1, 1), date(2021, 3, 21), id="nowruz-1400"),
        pytest.param((1395, 10, 9), date(2016, 12, 29), id="9-dey-1395"),
        pytest.param((1403, 12, 30), date(2025, 3, 20), id="leap-30-esfand-1403"),
    ],
)
def test_premise_jalali_anchors(jalali: tuple[int, int, int], gregorian: date) -> None:
    # The conversions below rest on the library; check it against known days.
    assert jdatetime.date(*jalali).togregorian() == gregorian


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("پنجشنبه ۹ دی ۱۳۹۵ ساعت ۱۹:۵۸", "2016-12-29T19:58:00+03:30", id="classic-fa"),
        pytest.param("شنبه ۲۲ آذر ۱۴۰۴ ساعت ۱۳:۱۹", "2025-12-13T13:19:00+03:30", id="azar-1404"),
        pytest.param("۰۹ مهر ۱۴۰۵ - ۱۵:۴۵", "2026-10-01T15:45:00+03:30", id="iransamaneh-fa"),
        pytest.param("٠٩ مهر ١٤٠٥ - ١٥:٤٥", "2026-10-01T15:45:00+03:30", id="arabic-indic-digits"),
        pytest.param("09 مهر 1405 - 15:45", "2026-10-01T15:45:00+03:30", id="ascii-digits"),
        pytest.param("۱ فروردین ۱۴۰۳ ساعت ۰۰:۰۵", "2024-03-20T00:05:00+03:30", id="nowruz-1403"),
        pytest.param("۹ دي ۱۳۹۵ ساعت ۱۹:۵۸", "2016-12-29T19:58:00+03:30", id="arabic-yeh"),
        pytest.param("۹ دی‌ماه ۱۳۹۵ ساعت ۱۹:۵۸", "2016-12-29T19:58:00+03:30", id="dey-mah-zwnj"),
        pytest.param("۹ دی ماه ۱۳۹۵، ساعت ۱۹:۵۸", "2016-12-29T19:58:00+03:30", id="arabic-comma"),
        pytest.param("۱۲ ابان ۱۳۹۹ | ۰۸:۰۰:۳۰", "2020-11-02T08:00:30+03:30", id="plain-alef-bar"),
        pytest.param("۱۵ تیر ۱۴۰۰ ساعت ۱۰:۰۰", "2021-07-06T10:00:00+04:30", id="summer-dst-1400"),
        pytest.param("۱۵ تیر ۱۴۰۲ ساعت ۱۰:۰۰", "2023-07-06T10:00:00+03:30", id="summer-no-dst"),
        pytest.param("۳۰ اسفند ۱۴۰۳ ساعت ۱۰:۰۰", "2025-03-20T10:00:00+03:30", id="leap-day"),
        pytest.param(
            "تاریخ انتشار: ۱۴ فروردین ۱۴۰۱ - ۰۹:۱۲", "2022-04-03T09:12:00+04:30", id="label"
        ),
    ],
)
def test_parse_visible_jalali_date(text: str, expected: str) -> None:
    parsed = parse_visible_date(text)
    assert parsed is not None
    assert to_iso(parsed) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("۳۰ اسفند ۱۴۰۲ ساعت ۱۰:۰۰", id="no-30-esfand-in-common-year"),
        pytest.param("۳۲ فروردین ۱۴۰۳ ساعت ۱۰:۰۰", id="day-32"),
        pytest.param("۹ دی ۱۳۹۵ ساعت ۲۵:۰۰", id="hour-25"),
        pytest.param("۹ دیگر ۱۳۹۵ ساعت ۱۰:۰۰", id="month-prefix-of-a-word"),
        pytest.param("۹ دی\n۱۳۹۵ ساعت ۱۰:۰۰", id="year-on-next-line"),
        pytest.param("۱۱۹ دی ۱۳۹۵ ساعت ۱۰:۰۰", id="three-digit-day"),
    ],
)
def test_parse_visible_jalali_date_rejects(text: str) -> None:
    assert parse_visible_date(text) is None


# -- every reading, with its precision ------------------------------------------


def _at(text: str) -> datetime:
    parsed = parse_meta_date(text)
    assert parsed is not None
    return parsed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", [], id="empty"),
        pytest.param(
            "29 December 2016", [DateReading(date(2016, 12, 29), None, Precision.DAY)], id="en"
        ),
        pytest.param(
            "Dec 29, 2016", [DateReading(date(2016, 12, 29), None, Precision.DAY)], id="en-md"
        ),
        pytest.param(
            "۹ دی ۱۳۹۵", [DateReading(date(2016, 12, 29), None, Precision.DAY)], id="jalali"
        ),
        pytest.param(
            "11 May 2023\n15:52",
            [DateReading(date(2023, 5, 11), None, Precision.DAY)],
            id="time-on-next-line-is-not-its-time",
        ),
        pytest.param("11 May 2023 - 24:00", [], id="bad-time-is-no-reading"),
        pytest.param("11 May 2023 15.52", [], id="dotted-time-is-no-reading"),
        pytest.param(
            "۹ دی ۱۳۹۵ / 29 December 2016 - 19:58:07",
            [
                DateReading(date(2016, 12, 29), None, Precision.DAY),
                DateReading(date(2016, 12, 29), _at("2016-12-29T19:58:07+03:30"), Precision.SECOND),
            ],
            id="text-order-across-calendars",
        ),
        pytest.param(
            "Dec 31, 2018 21:00 UTC",
            [DateReading(date(2019, 1, 1), _at("2019-01-01T00:30+03:30"), Precision.MINUTE)],
            id="utc-day-is-the-tehran-day",
        ),
    ],
)
def test_visible_dates(text: str, expected: list[DateReading]) -> None:
    assert visible_dates(text) == expected


@pytest.mark.parametrize(
    ("text", "precision"),
    [
        pytest.param("2023-05-11T15:52+03:30", Precision.MINUTE, id="minutes"),
        pytest.param("2023-05-11T15:52:00+03:30", Precision.SECOND, id="seconds"),
        pytest.param("2023-05-11 15:52:00.5 GMT", Precision.SECOND, id="fraction"),
    ],
)
def test_meta_date_precision(text: str, precision: Precision) -> None:
    reading = meta_date(text)
    assert reading is not None
    assert reading.precision is precision


# -- choosing the published date -----------------------------------------------


@pytest.mark.parametrize(
    ("visible", "metadata", "expected", "notes"),
    [
        pytest.param([], [], None, [], id="nothing"),
        pytest.param(["Story Code : 1"], ["garbage"], None, [], id="nothing-readable"),
        pytest.param(
            ["Thursday 11 May 2023 - 15:52"], [], "2023-05-11T15:52:00+03:30", [], id="visible"
        ),
        pytest.param(
            ["19 Jul 2024", "Thursday 11 May 2023 - 15:52"],
            ["2023-05-11T15:52:00+03:30"],
            "2023-05-11T15:52:00+03:30",
            [],
            id="page-406025-header-date-never-wins",
        ),
        pytest.param(
            ["Thursday 11 May 2023 - 15:52", "19 Jul 2024"],
            [],
            "2023-05-11T15:52:00+03:30",
            [],
            id="header-date-after-date-line",
        ),
        pytest.param(
            ["... - 17 Mar 2018", "Saturday 17 March 2018 - 13:42"],
            ["2018-03-17 10:12:39 GMT"],
            "2018-03-17T13:42:39+03:30",
            [],
            id="gmt-metadata-adds-seconds",
        ),
        pytest.param(
            ["۰۹ مهر ۱۴۰۵ - ۱۵:۴۵", "29 December 2016"],
            ["2026-10-01T15:45:01+03:30"],
            "2026-10-01T15:45:01+03:30",
            [],
            id="iransamaneh-jalali-refined-by-metadata",
        ),
        pytest.param(
            ["11 May 2023 - 15:52"],
            ["2023-05-11T15:53:00+03:30"],
            "2023-05-11T15:52:00+03:30",
            ["date_conflict"],
            id="metadata-a-minute-off-loses",
        ),
        pytest.param(
            ["11 May 2023 - 15:52"],
            ["2031-05-11T15:52:00+03:30"],
            "2023-05-11T15:52:00+03:30",
            ["date_conflict"],
            id="future-metadata-loses",
        ),
        pytest.param(
            ["11 May 2023 - 15:52:30"],
            ["2023-05-11T15:52+03:30"],
            "2023-05-11T15:52:30+03:30",
            [],
            id="visible-seconds-finer-than-metadata",
        ),
        pytest.param(
            ["11 May 2023 - 15:52"],
            ["2031-01-01T00:00:00Z", "2023-05-11T12:22:09Z"],
            "2023-05-11T15:52:09+03:30",
            ["date_conflict"],
            id="one-of-two-metadata-agrees",
        ),
        pytest.param(
            ["29 December 2016"],
            ["2016-12-29T16:28:00Z"],
            "2016-12-29T19:58:00+03:30",
            [],
            id="time-less-plus-metadata-time",
        ),
        pytest.param(
            ["۹ دی ۱۳۹۵"],
            ["2016-12-29 16:28:00 GMT"],
            "2016-12-29T19:58:00+03:30",
            [],
            id="time-less-jalali-plus-gmt-metadata",
        ),
        pytest.param(
            ["5 October 2026"],
            ["2026-10-04T20:30:00Z"],
            "2026-10-05T00:00:00+03:30",
            [],
            id="time-less-matches-the-tehran-day-not-the-utc-day",
        ),
        pytest.param(
            ["4 October 2026"],
            ["2026-10-04T20:30:00Z"],
            None,
            ["date_conflict", "date_without_time"],
            id="utc-day-is-not-the-tehran-day",
        ),
        pytest.param(
            ["29 December 2016"],
            [],
            None,
            ["date_without_time"],
            id="time-less-alone-is-not-midnight",
        ),
        pytest.param(
            ["29 December 2016"],
            ["2026-10-01T15:45:01+03:30"],
            None,
            ["date_conflict", "date_without_time"],
            id="time-less-contradicted-by-metadata",
        ),
        pytest.param(
            ["19 Jul 2024", "29 December 2016"],
            ["2031-01-01T00:00:00Z", "2016-12-29T16:28:00Z"],
            "2016-12-29T19:58:00+03:30",
            ["date_conflict"],
            id="time-less-days-metadata-on-one-of-them",
        ),
        pytest.param(
            [],
            ["garbage", "2026-10-04T20:30:00Z", "2020-01-01T00:00:00Z"],
            "2026-10-05T00:00:00+03:30",
            [],
            id="metadata-alone-first-readable",
        ),
        pytest.param(
            ["no date here"],
            ["2018-03-17 10:12:39 GMT"],
            "2018-03-17T13:42:39+03:30",
            [],
            id="metadata-when-nothing-visible-parses",
        ),
        pytest.param(
            ["21 September 2021 - 23:30"],
            ["2021-09-21T23:30:00+03:30"],
            "2021-09-21T23:30:00+04:30",
            ["date_conflict"],
            id="repeated-hour-compared-as-instants",
        ),
    ],
)
def test_choose_published(
    visible: list[str], metadata: list[str], expected: str | None, notes: list[str]
) -> None:
    assert choose_published(visible, metadata) == (expected, notes)


def test_choose_published_takes_iterators() -> None:
    visible = iter(["29 December 2016"])
    metadata = (value for value in ["2016-12-29T16:28:00Z"])
    assert choose_published(visible, metadata) == ("2016-12-29T19:58:00+03:30", [])


_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_ARABIC_INDIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_JALALI_MONTHS = (
    *("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور"),
    *("مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"),
)
_PERSIAN_WEEKDAYS = ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه")


def _jalali_text(wall: datetime, digits: dict[int, int], pad: bool, separator: str) -> str:
    jalali = jdatetime.date.fromgregorian(date=wall.date())
    day = f"{jalali.day:02d}" if pad else str(jalali.day)
    text = (
        f"{_PERSIAN_WEEKDAYS[wall.weekday()]} {day} {_JALALI_MONTHS[jalali.month - 1]} "
        f"{jalali.year}{separator}{wall.hour:02d}:{wall.minute:02d}"
    )
    return text.translate(digits)


@given(
    wall=_WALL_TIMES,
    digits=st.sampled_from([_PERSIAN_DIGITS, _ARABIC_INDIC_DIGITS, {}]),
    pad=st.booleans(),
    separator=st.sampled_from([" ساعت ", " - ", "، ساعت ", " | ", " "]),
)
def test_jalali_text_round_trips(
    wall: datetime, digits: dict[int, int], pad: bool, separator: str
) -> None:
    wall = wall.replace(second=0, microsecond=0)
    parsed = parse_visible_date(_jalali_text(wall, digits, pad, separator))
    assert parsed is not None
    assert to_iso(parsed) == to_iso(wall.replace(tzinfo=TEHRAN))


@given(instant=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)))
def test_time_less_jalali_day_takes_any_metadata_time_of_that_tehran_day(
    instant: datetime,
) -> None:
    moment = instant.replace(tzinfo=UTC)
    tehran = moment.astimezone(TEHRAN)
    day_only = _jalali_text(tehran, _PERSIAN_DIGITS, False, " ").rsplit(" ", 1)[0]
    published, notes = choose_published([day_only], [to_utc_iso(moment)])
    assert (published, notes) == (to_iso(moment), [])


@given(
    shown=_WALL_TIMES,
    other=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)),
    same_minute=st.booleans(),
    second=st.integers(0, 59),
)
def test_visible_date_with_time_beats_metadata_or_is_refined_by_it(
    shown: datetime, other: datetime, same_minute: bool, second: int
) -> None:
    shown_at = shown.replace(second=0, microsecond=0, tzinfo=TEHRAN)
    meta_at = shown_at.replace(second=second) if same_minute else other.replace(tzinfo=UTC)
    text = f"{shown.day} {_MONTHS[shown.month - 1]} {shown.year} - {shown:%H:%M}"
    published, notes = choose_published([text], [to_utc_iso(meta_at)])
    agrees = meta_at.astimezone(UTC).replace(second=0, microsecond=0) == shown_at.astimezone(UTC)
    if agrees:
        assert (published, notes) == (to_iso(meta_at), [])
    else:
        assert (published, notes) == (to_iso(shown_at), ["date_conflict"])


@given(
    instant=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)),
    zone=st.sampled_from(["UTC", "GMT", "utc"]),
    comma=st.sampled_from([",", ""]),
)
def test_month_first_utc_text_names_the_same_instant(
    instant: datetime, zone: str, comma: str
) -> None:
    moment = instant.replace(second=0, microsecond=0, tzinfo=UTC)
    month = _MONTHS[moment.month - 1][:3]
    text = f"{month} {moment.day}{comma} {moment.year} {moment:%H:%M} {zone}"
    parsed = parse_visible_date(text)
    assert parsed is not None
    assert parsed.timestamp() == moment.timestamp()
    assert to_iso(parsed) == to_iso(moment)


@given(
    year=st.sampled_from(["0001", "1999", "2023", "2024", "9999"]),
    month=st.sampled_from(["00", "01", "02", "12", "13"]),
    day=st.sampled_from(["00", "01", "28", "29", "30", "31", "32"]),
    hour=st.sampled_from(["00", "09", "23", "24", "25"]),
    minute=st.sampled_from(["00", "59", "60"]),
    second=st.sampled_from(["", ":00", ":59", ":60"]),
    separator=st.sampled_from("T "),
    zone=st.sampled_from(["", "Z"])
    | st.builds(
        "{}{}:{}".format,
        st.sampled_from("+-"),
        st.sampled_from(["00", "03", "14", "23", "24", "25"]),
        st.sampled_from(["00", "30", "59", "60"]),
    ),
)
def test_meta_date_reads_every_iso_value_as_isoparse_does(
    year: str,
    month: str,
    day: str,
    hour: str,
    minute: str,
    second: str,
    separator: str,
    zone: str,
) -> None:
    # Whether a value names an instant (hour 24, day 30 of February, an offset
    # of 25 hours...) and which one: as python-dateutil's isoparse reads it.
    value = f"{year}-{month}-{day}{separator}{hour}:{minute}{second}{zone}"
    try:
        parsed = isoparse(value)
        expected = (
            parsed.replace(tzinfo=TEHRAN) if parsed.tzinfo is None else parsed.astimezone(TEHRAN)
        )
    except (ValueError, OverflowError):
        assert meta_date(value) is None
    else:
        reading = parse_meta_date(value)
        assert reading is not None and to_iso(reading) == to_iso(expected)
