from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.clean.text import join_paragraphs, normalize_optional, normalize_text

# Text biased towards what the cleaner has to handle: entities, every kind of
# white space and control character, zero-width and joiner characters.
_TRICKY = st.sampled_from(
    [
        "&",
        "&amp;",
        "&nbsp;",
        "&#10;",
        "&#x200b;",
        "amp;",
        "#160;",
        ";",
        "\x00",
        "\x0b",
        "\x1f",
        "\x85",
        "\x9f",
        "\xa0",
        "\u2009",
        "\u200b",
        "\u200c",
        "\u200d",
        "\u2028",
        "\u202f",
        "\u3000",
        "\ufeff",
        "\t",
        "\n",
        "\r\n",
        " ",
    ]
)
_TEXT = st.lists(st.one_of(_TRICKY, st.text(max_size=5)), max_size=12).map("".join)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, "", id="none"),
        pytest.param("", "", id="empty"),
        pytest.param("Iran", "Iran", id="plain"),
        pytest.param("  Iran \n\t and  Syria  ", "Iran and Syria", id="collapse-and-trim"),
        pytest.param("Iran\xa0\u2009\u202f\u205f\u3000Syria", "Iran Syria", id="unicode-spaces"),
        pytest.param("a\u2000b\u200ac", "a b c", id="en-quad-and-hair-space"),
        pytest.param("a\u2028b\u2029c", "a b c", id="line-and-paragraph-separators"),
        pytest.param("a\r\n\x0b\x0cb", "a b", id="ascii-white-space"),
        pytest.param("Tom &amp; Jerry", "Tom & Jerry", id="entity"),
        pytest.param("&quot;deal&quot;", '"deal"', id="quot"),
        pytest.param("Iran&nbsp;&nbsp;Syria", "Iran Syria", id="nbsp-entity-is-space"),
        pytest.param("&amp;quot;x&amp;quot;", '"x"', id="double-escaped"),
        pytest.param("&#8217;s &#x2019;", "\u2019s \u2019", id="numeric-entities"),
        pytest.param("AT&T R&D", "AT&T R&D", id="bare-ampersand-kept"),
        pytest.param("a\x00b\x07c\x1bd\x7fe\x9cf", "abcdef", id="controls-removed"),
        pytest.param("\ufeffIran", "Iran", id="bom-removed"),
        pytest.param("zero\u200bwidth", "zerowidth", id="zwsp-removed"),
        pytest.param("word\u2060joiner", "wordjoiner", id="word-joiner-removed"),
        pytest.param(
            "\u0645\u06cc\u200c\u0634\u0648\u062f",
            "\u0645\u06cc\u200c\u0634\u0648\u062f",
            id="zwnj",
        ),
        pytest.param("\u0644\u200d\u0627", "\u0644\u200d\u0627", id="zwj"),
        pytest.param("&am\u200bp;", "&", id="entity-split-by-zero-width-space"),
        pytest.param("&#0;", "\ufffd", id="nul-entity-replacement-char"),
        pytest.param(" \xa0\u200b\n ", "", id="only-invisible"),
    ],
)
def test_normalize_text(raw: str | None, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param(" &nbsp;\u200b ", None, id="blank-after-cleaning"),
        pytest.param(" Environment ", "Environment", id="text"),
    ],
)
def test_normalize_optional(raw: str | None, expected: str | None) -> None:
    assert normalize_optional(raw) == expected


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        pytest.param([], "", id="none"),
        pytest.param(["", " ", "&nbsp;"], "", id="all-empty"),
        pytest.param(["One."], "One.", id="single"),
        pytest.param([" One. ", "", "Two\nlines.", "\xa0"], "One.\n\nTwo lines.", id="mixed"),
        pytest.param(iter(["a", "b"]), "a\n\nb", id="iterator"),
    ],
)
def test_join_paragraphs(paragraphs: list[str], expected: str) -> None:
    assert join_paragraphs(paragraphs) == expected


@given(_TEXT)
def test_normalize_text_is_idempotent(raw: str) -> None:
    once = normalize_text(raw)
    assert normalize_text(once) == once


@given(_TEXT)
def test_normalize_text_output_shape(raw: str) -> None:
    text = normalize_text(raw)
    assert text == text.strip()
    assert "  " not in text
    assert "\n" not in text
    assert "\xa0" not in text
    assert not any(char.isspace() and char != " " for char in text)


@given(_TEXT.map(lambda raw: raw.replace("&", "")))
def test_normalize_text_keeps_joiners(raw: str) -> None:
    # ZWNJ/ZWJ are part of Persian spelling: never dropped. ("&" is left out
    # because an entity such as &zwnj; would rightly add one.)
    text = normalize_text(raw)
    assert text.count("\u200c") == raw.count("\u200c")
    assert text.count("\u200d") == raw.count("\u200d")


@given(_TEXT)
def test_normalize_optional_agrees_with_normalize_text(raw: str) -> None:
    assert normalize_optional(raw) == (normalize_text(raw) or None)


@given(st.lists(_TEXT, max_size=6))
def test_join_paragraphs_splits_back(paragraphs: list[str]) -> None:
    joined = join_paragraphs(paragraphs)
    expected = [text for text in map(normalize_text, paragraphs) if text]
    assert (joined.split("\n\n") if joined else []) == expected
