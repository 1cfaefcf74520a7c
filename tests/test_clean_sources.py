from __future__ import annotations

import tomllib
from collections.abc import Callable
from importlib import resources

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crawler.clean.sources import (
    _build_table,
    known_source,
    parse_byline,
    short_source,
    source_in_attribution,
    trailing_source,
)

_ROWS = tomllib.loads(
    resources.files("crawler.clean").joinpath("sources.toml").read_text(encoding="utf-8")
)["source"]
_NAMES = [(name, row["short"]) for row in _ROWS for name in (row["short"], *row.get("aliases", ()))]
_SHORTS = [row["short"] for row in _ROWS]


@pytest.mark.parametrize(("name", "short"), _NAMES, ids=[name for name, _ in _NAMES])
def test_every_table_name_maps_to_its_short_name(name: str, short: str) -> None:
    assert known_source(name) == short
    assert short_source(name) == short
    assert short_source(f"{name} News Agency") == short
    assert short_source(f"خبرگزاری {name}") == short


def test_table_has_the_sources_the_site_names() -> None:
    assert {"Mehr", "IRNA", "Tasnim", "Fars", "ISNA", "Rasa", "Press TV", "AP"} <= set(_SHORTS)


@pytest.mark.parametrize(
    ("persian", "short"),
    [
        pytest.param("مهر", "Mehr", id="mehr"),
        pytest.param("ایرنا", "IRNA", id="irna"),
        pytest.param("تسنیم", "Tasnim", id="tasnim"),
        pytest.param("فارس", "Fars", id="fars"),
        pytest.param("ایسنا", "ISNA", id="isna"),
        pytest.param("رسا", "Rasa", id="rasa"),
    ],
)
def test_persian_names_map_to_the_english_short_names(persian: str, short: str) -> None:
    assert known_source(persian) == short
    assert known_source(f"خبرگزاری {persian}") == short
    assert parse_byline(f"منبع: خبرگزاری {persian}") == short
    assert parse_byline(f"By {short} News Agency") == short


@pytest.mark.parametrize(
    ("toml_text", "message"),
    [
        pytest.param(
            '[[source]]\nshort = "Mehr"\naliases = ["MNA"]\n'
            '[[source]]\nshort = "Other"\naliases = ["M.N.A."]\n',
            "sources.toml: 'M.N.A.' names both 'Mehr' and 'Other'",
            id="alias-claimed-twice",
        ),
        pytest.param(
            '[[source]]\nshort = "Mehr"\naliases = ["--"]\n',
            "sources.toml: '--' has no letter or digit",
            id="alias-without-letters",
        ),
    ],
)
def test_table_errors(toml_text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        _build_table(toml_text)


def test_table_repeating_a_name_for_the_same_source_is_fine() -> None:
    table = _build_table('[[source]]\nshort = "Press TV"\naliases = ["PressTV"]\n')
    assert table == {"presstv": "Press TV"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("Mehr", "Mehr", id="short"),
        pytest.param("Mehr News Agency", "Mehr", id="news-agency-suffix"),
        pytest.param("Mehr news agency", "Mehr", id="lower-case"),
        pytest.param("  MEHR   NEWS\xa0AGENCY ", "Mehr", id="upper-and-spaces"),
        pytest.param("Mehr News Agency (MNA)", "Mehr", id="bracketed-abbreviation"),
        pytest.param("Mehr-News-Agency.", "Mehr", id="punctuation"),
        pytest.param("Islamic Republic News Agency", "IRNA", id="long-form"),
        pytest.param("IRNA News Agency", "IRNA", id="short-plus-suffix"),
        pytest.param("Iranian Students News Agency", "ISNA", id="apostrophe-missing"),
        pytest.param("PressTV", "Press TV", id="space-missing"),
        pytest.param("Al Monitor", "Al-Monitor", id="hyphen-missing"),
        pytest.param("the associated press", "AP", id="article"),
        pytest.param("Shafaqna News Agency", "Shafaqna", id="unknown-less-suffix"),
        pytest.param("Shafaqna News Agency (SNA)", "Shafaqna", id="unknown-bracketed"),
        pytest.param("Shafaqna  news-agency", "Shafaqna", id="unknown-suffix-variant"),
        pytest.param("Foo News Agency (FNA)", "Foo", id="unknown-outer-wins-over-known-abbr"),
        pytest.param("  Voice of  America ", "Voice of America", id="unknown-kept-as-written"),
        pytest.param("Newsweek", "Newsweek", id="unknown-no-suffix"),
        pytest.param("Agency", "Agency", id="bare-agency"),
        pytest.param("", None, id="empty"),
        pytest.param(" \xa0 ", None, id="blank"),
        pytest.param("News Agency", None, id="only-suffix"),
        pytest.param(" - ", None, id="only-punctuation"),
        pytest.param("خبرگزاری مهر", "Mehr", id="fa-agency-prefix"),
        pytest.param("خبرگزاري مهر", "Mehr", id="fa-arabic-yeh-in-prefix"),
        pytest.param("ايرنا", "IRNA", id="fa-arabic-yeh"),
        pytest.param("كيهان", "Kayhan", id="fa-arabic-kaf-and-yeh"),
        pytest.param("پرس\u200cتی\u200cوی", "Press TV", id="fa-zwnj-between-parts"),
        pytest.param("خبرگزاری دانشجویان ایران (ایسنا)", "ISNA", id="fa-long-form-bracketed"),
        pytest.param("خبرگزاری جمهوری اسلامی", "IRNA", id="fa-long-form"),
        pytest.param("«تابناک»", "Tabnak", id="fa-guillemets"),
        pytest.param("Rasa News Agency", "Rasa", id="rasa-english"),
        pytest.param("خبرگزاری شبستان", "شبستان", id="fa-unknown-less-prefix"),
        pytest.param("  خبرگزاری   شبستان ،", "شبستان", id="fa-unknown-spaces-comma"),
        pytest.param("برترین\u200cها", "برترین\u200cها", id="fa-unknown-zwnj-kept"),
        pytest.param("خبرگزاری\u200cها", "خبرگزاری\u200cها", id="fa-agencies-is-not-a-prefix"),
        pytest.param("خبرگزاری", None, id="fa-only-prefix"),
    ],
)
def test_short_source(name: str, expected: str | None) -> None:
    assert short_source(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("Mehr News Agency (MNA)", "Mehr", id="known-bracketed"),
        pytest.param("(MNA)", "Mehr", id="only-bracketed"),
        pytest.param("Shafaqna News Agency", None, id="unknown"),
        pytest.param("Iran", None, id="country-is-not-a-source"),
        pytest.param("", None, id="empty"),
    ],
)
def test_known_source(name: str, expected: str | None) -> None:
    assert known_source(name) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("By Mehr", "Mehr", id="by"),
        pytest.param("By Mehr News Agency", "Mehr", id="by-long"),
        pytest.param("Source: IRNA", "IRNA", id="source"),
        pytest.param("Source : Tasnim News Agency", "Tasnim", id="source-spaced-colon"),
        pytest.param("By Tasnim News Agency", "Tasnim", id="by-tasnim"),
        pytest.param("Press TV", "Press TV", id="bare-known"),
        pytest.param("Reuters.", "Reuters", id="bare-known-period"),
        pytest.param("(Source: Fars)", "Fars", id="bracketed"),
        pytest.param("[Source: IRNA]", "IRNA", id="square-bracketed"),
        pytest.param("By: ISNA", "ISNA", id="by-colon"),
        pytest.param("BY IRNA", "IRNA", id="upper-case"),
        pytest.param("by mehr news agency", "Mehr", id="lower-case-known"),
        pytest.param("By Mehr.", "Mehr", id="final-period"),
        pytest.param("\xa0By\xa0Mehr\n", "Mehr", id="nbsp-and-newline"),
        pytest.param("By Mehr News Agency (MNA)", "Mehr", id="bracketed-abbreviation"),
        pytest.param("By A.P.", "AP", id="dotted-abbreviation"),
        pytest.param("By Agence France-Presse", "AFP", id="hyphenated-long-form"),
        pytest.param("By The Associated Press", "AP", id="known-with-article"),
        pytest.param("By Shafaqna News Agency", "Shafaqna", id="unknown-agency"),
        pytest.param("By Voice of America", "Voice of America", id="unknown-with-connector"),
        pytest.param("By John Smith", "John Smith", id="person"),
        pytest.param("Sources: agencies", "agencies", id="source-colon-lenient"),
        pytest.param("Source: IRNA, Tasnim", "IRNA, Tasnim", id="two-sources-as-written"),
        pytest.param("منبع: خبرگزاری مهر", "Mehr", id="fa-source-mehr"),
        pytest.param("منبع : ایرنا", "IRNA", id="fa-spaced-colon"),
        pytest.param("منبع:تسنیم", "Tasnim", id="fa-no-space"),
        pytest.param("(منبع: فارس)", "Fars", id="fa-bracketed"),
        pytest.param("منبع: برترین\u200cها", "برترین\u200cها", id="fa-unknown-as-written"),
        pytest.param("منبع: خبرگزاری شبستان.", "شبستان", id="fa-unknown-less-prefix"),
        pytest.param("منابع: ایسنا، مهر", "ایسنا، مهر", id="fa-two-sources-as-written"),
        pytest.param("خبرگزاری مهر", "Mehr", id="fa-bare-known"),
        pytest.param("ایرنا", "IRNA", id="fa-bare-known-short"),
    ],
)
def test_parse_byline(text: str, expected: str) -> None:
    assert parse_byline(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("By", id="by-alone"),
        pytest.param("Source:", id="source-alone"),
        pytest.param("By the end of the week the talks had stalled.", id="sentence"),
        pytest.param("By then, it was over.", id="by-then"),
        pytest.param("By Tuesday, prices had fallen.", id="by-weekday-comma"),
        pytest.param("By Tuesday", id="by-weekday"),
        pytest.param("By May 2024", id="by-month"),
        pytest.param("By 2030", id="by-year"),
        pytest.param("By contrast.", id="by-lower-case-word"),
        pytest.param("By The Numbers", id="by-title-case-heading"),
        pytest.param("By Reuters staff", id="lower-case-word-after-name"),
        pytest.param("By Mehr, Tasnim", id="by-with-comma"),
        pytest.param("By IRNA?", id="question"),
        pytest.param('Source: "Tasnim"', id="quotes"),
        pytest.param("Byzantine art", id="by-inside-word"),
        pytest.param("Source close to the minister said", id="source-without-colon"),
        pytest.param("Sourced from the ministry", id="sourced"),
        pytest.param("By One Two Three Four Five Six Seven", id="seven-words"),
        pytest.param("Source: " + "x" * 60, id="over-sixty-characters"),
        pytest.param("By News Agency", id="nothing-left-of-name"),
        pytest.param("Iran", id="bare-unknown-country"),
        pytest.param("Shafaqna", id="bare-unknown-name"),
        pytest.param("The talks continued.", id="bare-sentence"),
        pytest.param("Mehr reported that the talks continued.", id="known-name-starts-sentence"),
        pytest.param(
            "The Iranian defense minister said that Tehran is ready, by Mehr.", id="by-at-end"
        ),
        pytest.param("منبع", id="fa-source-alone"),
        pytest.param("منبع:", id="fa-source-colon-alone"),
        pytest.param("منبع آگاه گفت", id="fa-source-without-colon-is-prose"),
        pytest.param("منبع: این خبر چیست؟", id="fa-question-mark"),
        pytest.param("مهر ماه امسال بارندگی کم بود.", id="fa-sentence-starting-with-mehr"),
        pytest.param("خبرگزاری شبستان", id="fa-bare-unknown"),
    ],
)
def test_parse_byline_rejects(text: str) -> None:
    assert parse_byline(text) is None


_CASE = st.sampled_from([str, str.lower, str.upper, str.title])


@given(
    name_short=st.sampled_from(_NAMES),
    case=_CASE,
    prefix=st.sampled_from(["By ", "By: ", "Source: ", "Source : ", "(Source: "]),
)
def test_byline_of_any_known_name_gives_its_short_name(
    name_short: tuple[str, str], case: Callable[[str], str], prefix: str
) -> None:
    name, short = name_short
    suffix = ")" if prefix.startswith("(") else ""
    assert parse_byline(f"{prefix}{case(name)}{suffix}") == short
    assert parse_byline(case(name)) == short


_WORD = st.from_regex(r"[A-Z][a-z]{1,8}", fullmatch=True)


@given(words=st.lists(_WORD, min_size=1, max_size=4))
def test_unknown_agency_keeps_name_less_suffix(words: list[str]) -> None:
    name = " ".join(words)
    assume(known_source(name) is None)
    assume(not name.lower().endswith(("news", "news agency")))
    assert short_source(f"{name} News Agency") == name
    assert short_source(name) == name


@given(words=st.lists(_WORD, min_size=7, max_size=12), prefix=st.sampled_from(["By ", "Source: "]))
def test_byline_with_more_than_six_words_is_refused(words: list[str], prefix: str) -> None:
    assert parse_byline(prefix + " ".join(words)) is None


@given(words=st.lists(st.from_regex(r"[a-z]{2,9}", fullmatch=True), min_size=1, max_size=6))
def test_by_followed_by_lower_case_words_is_refused(words: list[str]) -> None:
    # "By contrast", "By then": prose, unless the words name a known source.
    text = " ".join(words)
    assume(known_source(text) is None)
    assert parse_byline(f"By {text}") is None


@given(st.text(min_size=61, max_size=120))
def test_long_lines_are_never_bylines(text: str) -> None:
    assume(len(" ".join(text.split())) > 60)
    assert parse_byline(text) is None


_ALL_NAMES = st.sampled_from(_NAMES)


@given(name_short=_ALL_NAMES, prefix=st.sampled_from(["منبع: ", "منبع : ", "(منبع: ", "منابع: "]))
def test_persian_byline_of_any_known_name_gives_its_short_name(
    name_short: tuple[str, str], prefix: str
) -> None:
    name, short = name_short
    suffix = ")" if prefix.startswith("(") else ""
    assert parse_byline(f"{prefix}{name}{suffix}") == short
    assert parse_byline(f"{prefix}خبرگزاری {name}{suffix}") == short


_PERSIAN_WORD = st.text(alphabet="ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی", min_size=2, max_size=7)


@given(parts=st.lists(_PERSIAN_WORD, min_size=2, max_size=3))
def test_unknown_persian_name_keeps_its_zwnj(parts: list[str]) -> None:
    name = "\u200c".join(parts)
    assume(known_source(name) is None)
    assert short_source(name) == name
    assert short_source(f"خبرگزاری {name}") == name
    assert parse_byline(f"منبع: {name}") == name


# -- attributions in a Persian opening sentence -------------------------------


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        pytest.param("به گزارش خبرگزاری مهر، وزیر امور خارجه گفت ...", "Mehr", id="agency"),
        pytest.param(
            "به گزارش خبرنگار گروه دین و اندیشه خبرگزاری رسا، آیت‌الله ...",
            "Rasa",
            id="site-md-rasa",
        ),
        pytest.param("به گزارش ایرنا، ...", "IRNA", id="bare-known"),
        pytest.param("به گزارش تسنیم, ...", "Tasnim", id="latin-comma"),
        pytest.param("به گزارش خبرنگار مهر، ...", "Mehr", id="reporter-of-known"),
        pytest.param("به گزارش گروه بین‌الملل خبرگزاری فارس، ...", "Fars", id="desk-of-agency"),
        pytest.param("به گزارش گروه سیاسی تسنیم، ...", "Tasnim", id="desk-of-known"),
        pytest.param("به گزارش خبرنگار اعزامی ایرنا از نیویورک، ...", "IRNA", id="from-a-city"),
        pytest.param(
            "به گزارش خبرگزاری مهر به نقل از رویترز، ...", "Mehr", id="quoting-another-agency"
        ),
        pytest.param("به گزارش ایسنا به نقل از آسوشیتدپرس، ...", "ISNA", id="known-quoting"),
        pytest.param(
            "به گزارش خبرگزاری دانشجویان ایران (ایسنا)، ...", "ISNA", id="long-form-bracketed"
        ),
        pytest.param("به گزارش خبرگزاری شبستان، ...", "شبستان", id="unknown-agency"),
        pytest.param("به گزارش «تابناک»، ...", "Tabnak", id="guillemets-known"),
        pytest.param(
            "به گزارش «همشهری\u200cآنلاین»، ...", "همشهری\u200cآنلاین", id="guillemets-zwnj"
        ),
        pytest.param("  به   گزارش\u00a0خبرگزاری مهر ، ...", "Mehr", id="white-space"),
        pytest.param("به گزارش خبرگزاري مهر، ...", "Mehr", id="arabic-yeh"),
    ],
)
def test_source_in_attribution(paragraph: str, expected: str) -> None:
    assert source_in_attribution(paragraph) == expected


@pytest.mark.parametrize(
    "paragraph",
    [
        pytest.param("", id="empty"),
        pytest.param("به گزارش پلیس، دو نفر بازداشت شدند.", id="police-is-not-an-agency"),
        pytest.param(
            "به گزارش روابط عمومی استانداری فارس، ...", id="fars-province-public-relations"
        ),
        pytest.param("به گزارش خبرنگار ما، ...", id="our-reporter"),
        pytest.param("به گزارش خبرگزاری\u200cها، ...", id="agencies"),
        pytest.param("وزیر گفت به گزارش ایرنا، ...", id="not-at-the-opening"),
        pytest.param("به گزارش ایرنا " + "وزیر امور خارجه " * 10 + "، ...", id="no-comma-nearby"),
        pytest.param("According to IRNA, ...", id="english-is-not-read-here"),
        pytest.param("به گزارش، ...", id="nobody-named"),
    ],
)
def test_source_in_attribution_rejects(paragraph: str) -> None:
    assert source_in_attribution(paragraph) is None


@given(name_short=_ALL_NAMES, tail=st.text(max_size=40))
def test_attribution_of_any_known_agency_gives_its_short_name(
    name_short: tuple[str, str], tail: str
) -> None:
    name, short = name_short
    assert source_in_attribution(f"به گزارش خبرگزاری {name}، {tail}") == short
    assert source_in_attribution(f"به گزارش خبرنگار گروه سیاسی {name}، {tail}") == short


# -- a byline run into the end of a paragraph ----------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "خلاصه خبر. منبع: برترین\u200cها",
            ("خلاصه خبر.", "برترین\u200cها"),
            id="site-md-lead",
        ),
        pytest.param(
            "خلاصه خبر منبع: خبرگزاری مهر", ("خلاصه خبر", "Mehr"), id="fa-without-full-stop"
        ),
        pytest.param(
            "The minister spoke. Source: IRNA", ("The minister spoke.", "IRNA"), id="english"
        ),
        pytest.param("The minister spoke (Source: Fars)", ("The minister spoke", "Fars"), id="()"),
        pytest.param("Source: IRNA", ("Source: IRNA", None), id="nothing-before"),
        pytest.param("Open source: free", ("Open source: free", None), id="not-after-a-sentence"),
        pytest.param(
            "He said. Source: a diplomat who asked not to be named said so",
            ("He said. Source: a diplomat who asked not to be named said so", None),
            id="too-long-for-a-byline",
        ),
        pytest.param("  No byline  here. ", ("No byline here.", None), id="none-normalized"),
    ],
)
def test_trailing_source(text: str, expected: tuple[str, str | None]) -> None:
    assert trailing_source(text) == expected
