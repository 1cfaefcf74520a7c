from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.codes import MAX_CODE, CodeSet, CodeSpecError, parse_codes, parse_codes_file


@pytest.mark.parametrize(
    ("spec", "ranges"),
    [
        pytest.param("406025", ((406025, 406025),), id="one"),
        pytest.param("406030-406040", ((406030, 406040),), id="range"),
        pytest.param("406030 - 406040", ((406030, 406040),), id="spaced-dash"),
        pytest.param("5-5", ((5, 5),), id="one-code-range"),
        pytest.param("1,3,2", ((1, 3),), id="adjacent-merged"),
        pytest.param("10-20 15-25", ((10, 25),), id="overlap-merged"),
        pytest.param("10-20, 12-13", ((10, 20),), id="contained-merged"),
        pytest.param("10-20,21-30", ((10, 30),), id="adjacent-ranges-merged"),
        pytest.param("7 7 7", ((7, 7),), id="duplicates"),
        pytest.param(" 9,\t1-2\n5 ,", ((1, 2), (5, 5), (9, 9)), id="mixed-separators-sorted"),
        pytest.param(",,1,,", ((1, 1),), id="extra-commas"),
        pytest.param("0007", ((7, 7),), id="leading-zeros"),
        pytest.param(f"1-{MAX_CODE}", ((1, MAX_CODE),), id="largest"),
    ],
)
def test_parse_codes(spec: str, ranges: tuple[tuple[int, int], ...]) -> None:
    assert parse_codes(spec).ranges == ranges


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("", "codes: no code or range given", id="empty"),
        pytest.param(" , \n", "codes: no code or range given", id="only-separators"),
        pytest.param(
            "abc",
            "codes: 'abc' is not a story code or range (expected N or N-M)",
            id="word",
        ),
        pytest.param(
            "5, 7x",
            "codes: '7x' is not a story code or range (expected N or N-M)",
            id="second-item-bad",
        ),
        pytest.param(
            "-5", "codes: '-5' is not a story code or range (expected N or N-M)", id="negative"
        ),
        pytest.param(
            "1-", "codes: '1-' is not a story code or range (expected N or N-M)", id="open-range"
        ),
        pytest.param(
            "1-2-3",
            "codes: '1-2-3' is not a story code or range (expected N or N-M)",
            id="two-dashes",
        ),
        pytest.param(
            "1.5", "codes: '1.5' is not a story code or range (expected N or N-M)", id="decimal"
        ),
        pytest.param(
            "\u0664\u0660",
            "codes: '\u0664\u0660' is not a story code or range (expected N or N-M)",
            id="non-ascii-digits",
        ),
        pytest.param("0", "codes: 0 is not a story code (codes start at 1)", id="zero"),
        pytest.param("0-3", "codes: 0 is not a story code (codes start at 1)", id="zero-start"),
        pytest.param("5-1", "codes: range 5-1 is reversed (start 5 > end 1)", id="reversed"),
        pytest.param(
            str(MAX_CODE + 1),
            f"codes: {MAX_CODE + 1} is too large for a story code (max {MAX_CODE})",
            id="too-large",
        ),
        pytest.param(
            "1-" + "9" * 5000,
            f"codes: {'9' * 5000} is too large for a story code (max {MAX_CODE})",
            id="huge-digit-string",
        ),
    ],
)
def test_parse_codes_errors(spec: str, message: str) -> None:
    with pytest.raises(CodeSpecError) as caught:
        parse_codes(spec)
    assert str(caught.value) == message


def test_code_spec_error_is_a_value_error() -> None:
    assert issubclass(CodeSpecError, ValueError)


def test_code_set_behaviour() -> None:
    codes = parse_codes("406025, 406030-406040, 500000-500002")
    assert str(codes) == "406025,406030-406040,500000-500002"
    assert len(codes) == 1 + 11 + 3
    assert (codes.min, codes.max) == (406025, 500002)
    assert list(codes)[:3] == [406025, 406030, 406031]
    assert [code in codes for code in (406024, 406025, 406026, 406040, 406041, 500002)] == [
        False,
        True,
        False,
        True,
        False,
        True,
    ]
    assert "406025" not in codes
    assert None not in codes


def test_code_set_normalizes_ranges_given_directly() -> None:
    assert CodeSet(((20, 30), (1, 5), (6, 8))) == CodeSet(((1, 8), (20, 30)))
    assert CodeSet(((20, 30), (1, 5), (6, 8))).ranges == ((1, 8), (20, 30))


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        pytest.param((), "codes: no code or range given", id="empty"),
        pytest.param(((3, 1),), "codes: range 3-1 is reversed (start 3 > end 1)", id="reversed"),
        pytest.param(((-1, 1),), "codes: -1 is not a story code (codes start at 1)", id="negative"),
    ],
)
def test_code_set_refuses_bad_ranges(ranges: tuple[tuple[int, int], ...], message: str) -> None:
    with pytest.raises(CodeSpecError, match=f"^{re.escape(message)}$"):
        CodeSet(ranges)


def test_millions_of_codes_are_not_materialized() -> None:
    codes = parse_codes(f"1-{MAX_CODE}")
    assert len(codes) == MAX_CODE
    assert MAX_CODE - 1 in codes
    iterator = iter(codes)
    assert [next(iterator) for _ in range(3)] == [1, 2, 3]
    chunks = codes.chunks(10**6)
    assert next(chunks) == (1, 10**6)
    assert next(chunks) == (10**6 + 1, 2 * 10**6)


@pytest.mark.parametrize(
    ("spec", "size", "chunks"),
    [
        pytest.param("1-10", 3, [(1, 3), (4, 6), (7, 9), (10, 10)], id="uneven"),
        pytest.param("1-9", 3, [(1, 3), (4, 6), (7, 9)], id="even"),
        pytest.param("1-9", 100, [(1, 9)], id="one-chunk"),
        pytest.param("1,3,5", 10, [(1, 1), (3, 3), (5, 5)], id="never-spans-a-gap"),
        pytest.param("1-2,4-6", 1, [(1, 1), (2, 2), (4, 4), (5, 5), (6, 6)], id="size-one"),
    ],
)
def test_chunks(spec: str, size: int, chunks: list[tuple[int, int]]) -> None:
    assert list(parse_codes(spec).chunks(size)) == chunks


@pytest.mark.parametrize("size", [0, -3])
def test_chunks_refuse_sizes_below_one(size: int) -> None:
    with pytest.raises(ValueError, match=f"^chunk size must be at least 1, not {size}$"):
        next(parse_codes("1-5").chunks(size))


def _write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "codes.txt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param("406025\n", "406025", id="one"),
        pytest.param("406025\n406030-406040\n", "406025,406030-406040", id="lines"),
        pytest.param("# wanted\n\n  406025  # the seed story\n\n", "406025", id="comments"),
        pytest.param("1, 3\n5 - 7,9\n", "1,3,5-7,9", id="commas-and-spaced-dash"),
        pytest.param("1\r\n2\r\n", "1-2", id="crlf"),
        pytest.param("\ufeff12\n", "12", id="bom"),
        pytest.param("7", "7", id="no-final-newline"),
    ],
)
def test_parse_codes_file(tmp_path: Path, content: str, expected: str) -> None:
    path = _write(tmp_path, content)
    assert str(parse_codes_file(path)) == expected
    assert str(parse_codes_file(str(path))) == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            "1\n2\nabc\n",
            "codes file {path}, line 3: 'abc' is not a story code or range (expected N or N-M)",
            id="bad-line",
        ),
        pytest.param(
            "# header\n9-3\n",
            "codes file {path}, line 2: range 9-3 is reversed (start 9 > end 3)",
            id="reversed-line",
        ),
        pytest.param(
            "1\n0\n",
            "codes file {path}, line 2: 0 is not a story code (codes start at 1)",
            id="zero",
        ),
        pytest.param("", "codes file {path} is empty (no code or range in it)", id="empty"),
        pytest.param(
            "# only\n\n  # comments\n",
            "codes file {path} is empty (no code or range in it)",
            id="only-comments",
        ),
        pytest.param(
            b"1\n\xff\xfe2\n",
            "codes file {path} is not UTF-8 text (byte 0xff at offset 2)",
            id="not-utf8",
        ),
    ],
)
def test_parse_codes_file_errors(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(CodeSpecError) as caught:
        parse_codes_file(path)
    assert str(caught.value) == message.format(path=path)


def test_parse_codes_file_missing(tmp_path: Path) -> None:
    path = tmp_path / "missing.txt"
    with pytest.raises(CodeSpecError, match=f"^codes file {re.escape(str(path))} does not exist$"):
        parse_codes_file(path)


def test_parse_codes_file_directory(tmp_path: Path) -> None:
    with pytest.raises(
        CodeSpecError, match=f"^codes file {re.escape(str(tmp_path))} is a directory, not a file$"
    ):
        parse_codes_file(tmp_path)


# Small codes so that a plain Python set can serve as the model.
_RANGES = st.lists(
    st.tuples(st.integers(1, 300), st.integers(0, 20)).map(
        lambda pair: (pair[0], pair[0] + pair[1])
    ),
    min_size=1,
    max_size=8,
)
_SEPARATORS = st.sampled_from([",", " ", ", ", "\n", "\t,\t"])
_DASHES = st.sampled_from(["-", " - ", "- ", " -"])


@st.composite
def _specs(draw: st.DrawFn) -> tuple[str, set[int]]:
    ranges = draw(_RANGES)
    items = [
        str(start) if start == end and draw(st.booleans()) else f"{start}{draw(_DASHES)}{end}"
        for start, end in ranges
    ]
    spec = items[0]
    for item in items[1:]:
        spec += draw(_SEPARATORS) + item
    return spec, {code for start, end in ranges for code in range(start, end + 1)}


@given(_specs())
def test_code_set_matches_a_plain_set(spec_model: tuple[str, set[int]]) -> None:
    spec, model = spec_model
    codes = parse_codes(spec)
    assert list(codes) == sorted(model)
    assert len(codes) == len(model) == sum(end - start + 1 for start, end in codes.ranges)
    assert (codes.min, codes.max) == (min(model), max(model))
    assert all((code in codes) == (code in model) for code in range(0, 330))


@given(_specs())
def test_ranges_are_sorted_merged_and_disjoint(spec_model: tuple[str, set[int]]) -> None:
    ranges = parse_codes(spec_model[0]).ranges
    assert all(start <= end for start, end in ranges)
    # A gap of at least one code between ranges: adjacent ones would have merged.
    assert all(left[1] + 1 < right[0] for left, right in pairwise(ranges))


@given(_specs())
def test_str_round_trips(spec_model: tuple[str, set[int]]) -> None:
    codes = parse_codes(spec_model[0])
    assert parse_codes(str(codes)) == codes
    assert str(parse_codes(str(codes))) == str(codes)


@given(_specs(), st.integers(1, 25))
def test_chunks_cover_the_set_in_order(spec_model: tuple[str, set[int]], size: int) -> None:
    codes = parse_codes(spec_model[0])
    chunks = list(codes.chunks(size))
    assert all(1 <= end - start + 1 <= size for start, end in chunks)
    assert [code for start, end in chunks for code in range(start, end + 1)] == list(codes)


@given(_specs())
def test_file_and_spec_agree(
    tmp_path_factory: pytest.TempPathFactory, spec_model: tuple[str, set[int]]
) -> None:
    path = tmp_path_factory.mktemp("codes") / "codes.txt"
    path.write_text(spec_model[0] + "  # trailing comment\n", encoding="utf-8")
    assert parse_codes_file(path) == parse_codes(spec_model[0])
