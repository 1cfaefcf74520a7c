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
        pytest.param("a\x1cb\x85c", "a b c", id="controls-python-splits-on-are-space"),
        pytest.param("\ufeffIran", "\ufeffIran", id="bom-kept"),
        pytest.param("zero\u200bwidth", "zero\u200bwidth", id="zwsp-kept"),
        pytest.param("word\u2060joiner", "word\u2060joiner", id="word-joiner-kept"),
        pytest.param(
            "\u200fIRNA\u200e \u0627\u06cc\u0631\u0646\u0627",
            "\u200fIRNA\u200e \u0627\u06cc\u0631\u0646\u0627",
            id="rlm-lrm-kept",
        ),
        pytest.param(
            "\u0627\u06cc\u0633\u062a\u06af\u0627\u0647\u200c\u0647\u0627\u06cc",
            "\u0627\u06cc\u0633\u062a\u06af\u0627\u0647\u200c\u0647\u0627\u06cc",
            id="zwnj-in-istgah-ha",
        ),
        pytest.param(
            "\u0645\u06cc&zwnj;\u0634\u0648\u062f",
            "\u0645\u06cc\u200c\u0634\u0648\u062f",
            id="zwnj-entity",
        ),
        pytest.param(
            "\u0643\u064a\u0647\u0627\u0646",
            "\u0643\u064a\u0647\u0627\u0646",
            id="arabic-letters-not-persianised",
        ),
        pytest.param(
            "\u06f1\u06f4\u06f0\u06f4 \u0661\u0664",
            "\u06f1\u06f4\u06f0\u06f4 \u0661\u0664",
            id="digits-as-written",
        ),
        pytest.param("\u200c \u200c", "\u200c \u200c", id="zwnj-alone-is-not-blank"),
        pytest.param(
            "\u0645\u06cc\u200c\u0634\u0648\u062f",
            "\u0645\u06cc\u200c\u0634\u0648\u062f",
            id="zwnj",
        ),
        pytest.param("\u0644\u200d\u0627", "\u0644\u200d\u0627", id="zwj"),
        pytest.param("&am\x00p;", "&", id="entity-split-by-control"),
        pytest.param("&am\u200bp;", "&am\u200bp;", id="zwsp-inside-entity-kept"),
        pytest.param("&#0;", "\ufffd", id="nul-entity-replacement-char"),
        pytest.param("&#x85;x", "\u2026x", id="c1-entity-as-html-maps-it"),
        pytest.param(" \xa0\x00\n ", "", id="only-space-and-controls"),
    ],
)
def test_normalize_text(raw: str | None, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param(" &nbsp;\x00 ", None, id="blank-after-cleaning"),
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


_CONTROLS = {chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))}


@given(_TEXT.map(lambda raw: raw.replace("&", "")))
def test_normalize_text_only_touches_white_space_and_controls(raw: str) -> None:
    # Without entities, the output is the input less its control codes, with
    # white space collapsed: every other character is kept as written.
    kept = "".join(char for char in raw if char.isspace() or char not in _CONTROLS)
    assert normalize_text(raw) == " ".join(kept.split())


@given(_TEXT)
def test_normalize_text_keeps_every_zwnj(raw: str) -> None:
    # ZWNJ/ZWJ are part of Persian spelling: never dropped. An entity
    # (&zwnj;) may rightly add one; no entity can swallow one.
    text = normalize_text(raw)
    assert text.count("\u200c") >= raw.count("\u200c")
    assert text.count("\u200d") >= raw.count("\u200d")


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="&")), st.integers(0, 50))
def test_any_text_with_a_zwnj_keeps_it(raw: str, at: int) -> None:
    at = min(at, len(raw))
    before, after = raw[:at], raw[at:]
    text = normalize_text(before + "\u200c" + after)
    assert text.count("\u200c") == raw.count("\u200c") + 1


@given(_TEXT)
def test_normalize_optional_agrees_with_normalize_text(raw: str) -> None:
    assert normalize_optional(raw) == (normalize_text(raw) or None)


@given(st.lists(_TEXT, max_size=6))
def test_join_paragraphs_splits_back(paragraphs: list[str]) -> None:
    joined = join_paragraphs(paragraphs)
    expected = [text for text in map(normalize_text, paragraphs) if text]
    assert (joined.split("\n\n") if joined else []) == expected


@given(_TEXT)
def test_normalize_text_ignores_how_white_space_is_laid_out(raw: str) -> None:
    # A site that re-flows its HTML does not change a story's text.
    assert normalize_text(" \n".join(raw.split())) == normalize_text(raw)
