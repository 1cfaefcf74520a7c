"""The story codes a user asks for: ``406025,406030-406040`` or a file of them.

A request can span millions of codes, so a :class:`CodeSet` keeps merged
ranges and never a list of codes.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

# The ledger stores codes as SQLite INTEGERs.
MAX_CODE = 2**63 - 1

_SEPARATORS = re.compile(r"[\s,]+")
_SPACED_DASH = re.compile(r"\s*-\s*")
_ITEM = re.compile(r"(?P<start>[0-9]+)(?:-(?P<end>[0-9]+))?")
_START = itemgetter(0)


class CodeSpecError(ValueError):
    """A code list the user gave cannot be read; the message says what and where."""


@dataclass(frozen=True)
class CodeSet:
    """A non-empty set of story codes as sorted, merged, inclusive ranges.

    Ranges given in any order, overlapping or adjacent, are merged.

    >>> codes = CodeSet(((406030, 406040), (406025, 406025), (406041, 406045)))
    >>> str(codes), len(codes), 406044 in codes, 406026 in codes
    ('406025,406030-406045', 17, True, False)
    >>> list(codes.chunks(10))
    [(406025, 406025), (406030, 406039), (406040, 406045)]
    """

    ranges: tuple[tuple[int, int], ...]
    _size: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(self.ranges):
            _check_range(start, end, "codes")
            if merged and start <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        if not merged:
            raise CodeSpecError("codes: no code or range given")
        # Frozen: the normalized form replaces what was passed in.
        object.__setattr__(self, "ranges", tuple(merged))
        object.__setattr__(self, "_size", sum(end - start + 1 for start, end in merged))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[int]:
        for start, end in self.ranges:
            yield from range(start, end + 1)

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, int):
            return False
        index = bisect.bisect_right(self.ranges, code, key=_START) - 1
        return index >= 0 and code <= self.ranges[index][1]

    def __str__(self) -> str:
        return ",".join(
            str(start) if start == end else f"{start}-{end}" for start, end in self.ranges
        )

    @property
    def min(self) -> int:
        return self.ranges[0][0]

    @property
    def max(self) -> int:
        return self.ranges[-1][1]

    def chunks(self, size: int) -> Iterator[tuple[int, int]]:
        """Ascending inclusive sub-ranges of at most ``size`` codes, covering the set.

        A chunk never spans a gap, so every code in it is in the set.
        """
        if size < 1:
            raise ValueError(f"chunk size must be at least 1, not {size}")
        for start, end in self.ranges:
            for low in range(start, end + 1, size):
                yield low, min(low + size - 1, end)


def parse_codes(spec: str) -> CodeSet:
    """Parse codes and inclusive ranges separated by commas and/or white space.

    >>> str(parse_codes("406040, 406025 406030 - 406039"))
    '406025,406030-406040'
    >>> parse_codes("5-1")
    Traceback (most recent call last):
    ...
    crawler.codes.CodeSpecError: codes: range 5-1 is reversed (start 5 > end 1)
    """
    return CodeSet(tuple(_parse_items(spec, "codes")))


def parse_codes_file(path: str | Path) -> CodeSet:
    """Parse a file of codes: one code or range per line (commas also allowed).

    ``#`` starts a comment; blank lines are ignored. Errors name the file and line.
    """
    try:
        content = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CodeSpecError(f"codes file {path} does not exist") from None
    except IsADirectoryError:
        raise CodeSpecError(f"codes file {path} is a directory, not a file") from None
    except UnicodeDecodeError as error:
        raise CodeSpecError(
            f"codes file {path} is not UTF-8 text (byte {error.object[error.start]:#04x}"
            f" at offset {error.start})"
        ) from None
    except OSError as error:
        raise CodeSpecError(f"codes file {path} cannot be read: {error.strerror}") from None
    ranges: list[tuple[int, int]] = []
    for number, line in enumerate(content.splitlines(), start=1):
        ranges.extend(_parse_items(line.partition("#")[0], f"codes file {path}, line {number}"))
    if not ranges:
        raise CodeSpecError(f"codes file {path} is empty (no code or range in it)")
    return CodeSet(tuple(ranges))


def _parse_items(text: str, where: str) -> Iterator[tuple[int, int]]:
    for item in _SEPARATORS.split(_SPACED_DASH.sub("-", text.strip())):
        if not item:
            continue  # a separator at either end splits off an empty string
        match = _ITEM.fullmatch(item)
        if match is None:
            raise CodeSpecError(
                f"{where}: {item!r} is not a story code or range (expected N or N-M)"
            )
        start = _to_code(match["start"], where)
        end = start if match["end"] is None else _to_code(match["end"], where)
        _check_range(start, end, where)
        yield start, end


def _to_code(digits: str, where: str) -> int:
    # Checked on the digits first: int() refuses strings over 4300 digits.
    if len(digits) > len(str(MAX_CODE)) or int(digits) > MAX_CODE:
        raise CodeSpecError(f"{where}: {digits} is too large for a story code (max {MAX_CODE})")
    return int(digits)


def _check_range(start: int, end: int, where: str) -> None:
    if start < 1:
        raise CodeSpecError(f"{where}: {start} is not a story code (codes start at 1)")
    if start > end:
        raise CodeSpecError(f"{where}: range {start}-{end} is reversed (start {start} > end {end})")


class CodeRanges:
    """A growing set of codes kept as merged ranges: what a run has seen, in
    memory that grows with the number of gaps, not with the number of codes.

    >>> seen = CodeRanges()
    >>> for code in (5, 7, 6, 1, 9, 8):
    ...     seen.add(code)
    >>> seen.ranges, 6 in seen, 2 in seen, len(seen)
    ([(1, 1), (5, 9)], True, False, 6)
    >>> seen.add_range(2, 4); seen.ranges
    [(1, 9)]
    """

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._size = 0

    @property
    def ranges(self) -> list[tuple[int, int]]:
        return list(zip(self._starts, self._ends, strict=True))

    def __len__(self) -> int:
        return self._size

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, int):
            return False
        index = bisect.bisect_right(self._starts, code) - 1
        return index >= 0 and code <= self._ends[index]

    def add(self, code: int) -> None:
        self.add_range(code, code)

    def add_range(self, low: int, high: int) -> None:
        # The ranges that touch or overlap [low, high] are merged into one.
        first = bisect.bisect_left(self._ends, low - 1)
        last = bisect.bisect_right(self._starts, high + 1)
        if first < last:
            covered = sum(self._ends[i] - self._starts[i] + 1 for i in range(first, last))
            low = min(low, self._starts[first])
            high = max(high, self._ends[last - 1])
        else:
            covered = 0
        self._starts[first:last] = [low]
        self._ends[first:last] = [high]
        self._size += high - low + 1 - covered
