from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.clean.dates import (
    parse_meta_date,
    parse_visible_date,
    to_iso,
    to_utc_iso,
    utc_now_iso,
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
        pytest.param("May 11, 2023 15:52", id="month-first"),
        pytest.param("11 May 2023 - 03:52 PM", id="twelve-hour-pm"),
        pytest.param("11 May 2023 - 3:52 a.m.", id="twelve-hour-am-dots"),
        pytest.param("11 May 2023\n15:52", id="time-on-next-line"),
        pytest.param("Story Code : 11\nMay 2023 - 15:52", id="day-on-line-before"),
        pytest.param("111 May 2023 - 15:52", id="three-digit-day"),
        pytest.param("11 May 20231 - 15:52", id="five-digit-year"),
        pytest.param("11 May 2023 - 15:523", id="three-digit-minute"),
        pytest.param("11 May 2023 15.52", id="dot-in-time"),
        pytest.param("2023-05-11T15:52:00+03:30", id="iso-is-not-visible-format"),
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
