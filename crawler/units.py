"""Durations and sizes as operators write them in settings: ``30m``, ``24h``,
``2d``; ``500M``, ``2G``, ``5%``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.errors import BadArguments

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b|%)?\s*$", re.IGNORECASE)
_BYTES = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_duration(value: object, setting: str) -> float:
    """Seconds, from a number of seconds or a number and a unit (s, m, h, d, w).

    >>> parse_duration("30m", "ARCHIVE_LOCK_WAIT")
    1800.0
    >>> parse_duration("2d", "S"), parse_duration(90, "S"), parse_duration("1.5h", "S")
    (172800.0, 90.0, 5400.0)
    >>> parse_duration("soon", "ARCHIVE_LOCK_WAIT")
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: ARCHIVE_LOCK_WAIT: 'soon' is not a duration (e.g. 90, 30m, 24h, 2d)
    """
    match = _DURATION.match(str(value))
    if not match:
        raise BadArguments(f"{setting}: {value!r} is not a duration (e.g. 90, 30m, 24h, 2d)")
    return float(match.group(1)) * _SECONDS[match.group(2).lower()]


@dataclass(frozen=True)
class Size:
    """A size in bytes, or a share of a whole in percent."""

    amount: float
    percent: bool = False

    def of(self, total: int) -> float:
        """
        >>> Size(5, percent=True).of(1000), Size(300).of(1000)
        (50.0, 300)
        """
        return self.amount * total / 100 if self.percent else self.amount


def parse_size(value: object, setting: str) -> Size:
    """Bytes (``500M``, ``2G``, ``2GiB``, ``4096``) or a percentage (``5%``).

    >>> parse_size("2G", "S")
    Size(amount=2147483648.0, percent=False)
    >>> parse_size("5%", "S"), parse_size(4096, "S")
    (Size(amount=5.0, percent=True), Size(amount=4096.0, percent=False))
    >>> parse_size("lots", "ARCHIVE_CHECK_MIN_FREE")
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: ARCHIVE_CHECK_MIN_FREE: 'lots' is not a size (e.g. 500M, 2G, 5%)
    """
    match = _SIZE.match(str(value))
    if not match:
        raise BadArguments(f"{setting}: {value!r} is not a size (e.g. 500M, 2G, 5%)")
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    if unit == "%":
        return Size(number, percent=True)
    return Size(number * _BYTES[unit[:1]])


def describe_seconds(seconds: float) -> str:
    """A duration for people, to the largest whole unit that fits.

    >>> describe_seconds(95000), describe_seconds(5400), describe_seconds(42)
    ('1d 2h', '1h 30m', '42s')
    """
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"
