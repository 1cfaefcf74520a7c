"""Source agencies: short names for the archive's ``source`` field, and byline detection.

The known agencies live in ``sources.toml`` so that adding one is a data
change. :func:`parse_byline` decides whether a body paragraph is dropped, so
it errs towards ``None``: a missed byline leaves one short line in the body,
a false one cuts real text.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any

from crawler.clean.text import normalize_text

# Case, white space and punctuation vary between pages ("Mehr news-agency",
# "PressTV", "Iranian Students News Agency"); only letters and digits identify.
_NOT_KEY = re.compile(r"[\W_]+")
_NEWS_AGENCY_KEY = "newsagency"

_NEWS_AGENCY_SUFFIX = re.compile(r"[\s,-]*\bnews[\s-]+agency$", re.IGNORECASE)
# "Mehr News Agency (MNA)": the bracketed part repeats the name.
_BRACKETED_SUFFIX = re.compile(r"(?P<outer>.+?)\s*\([^()]*\)")
_EDGE_PUNCTUATION = " .,;:|-\u2013\u2014"

_MAX_BYLINE_CHARS = 60
_MAX_NAME_WORDS = 6
# "By" needs no colon, "Source" does: "Source close to the talks said" is prose.
_BYLINE = re.compile(
    r"(?:(?P<by>by)\b[ ]*(?P<colon>:)?|sources?[ ]*:)[ ]*(?P<name>.*)", re.IGNORECASE
)
# Only after a bare "By": the words a sentence such as "By then, ..." or
# "By May 2024 ..." may start with, where a name could not.
_NOT_A_NAME_START = frozenset(
    {
        *("a", "an", "the", "this", "that", "these", "those", "then", "now"),
        *("its", "their", "his", "her", "our"),
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        *("mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"),
        *("january", "february", "march", "april", "may", "june", "july", "august"),
        *("september", "october", "november", "december"),
        *("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"),
    }
)
# Lowercase words a proper name may contain ("Voice of America", "Ministry of Energy").
_NAME_CONNECTORS = frozenset({"of", "and", "for", "the", "de", "du", "la", "le", "al", "el", "&"})
_SENTENCE_MARKS = frozenset('?!;"\u201c\u201d')


def _key(name: str) -> str:
    return _NOT_KEY.sub("", name.casefold())


def _build_table(toml_text: str) -> dict[str, str]:
    """Map the key of every short name and alias to its short name."""
    rows: list[dict[str, Any]] = tomllib.loads(toml_text)["source"]
    table: dict[str, str] = {}
    for row in rows:
        short: str = row["short"]
        for name in (short, *row.get("aliases", ())):
            key = _key(name)
            if not key:
                raise ValueError(f"sources.toml: {name!r} has no letter or digit")
            claimed = table.setdefault(key, short)
            if claimed != short:
                raise ValueError(f"sources.toml: {name!r} names both {claimed!r} and {short!r}")
    return table


_TABLE = _build_table(
    resources.files("crawler.clean").joinpath("sources.toml").read_text(encoding="utf-8")
)


def _lookup(name: str) -> str | None:
    key = _key(name)
    short = _TABLE.get(key)
    if short is None and key.endswith(_NEWS_AGENCY_KEY):
        short = _TABLE.get(key.removesuffix(_NEWS_AGENCY_KEY))
    return short


def _clean_name(name: str) -> str:
    return normalize_text(name).strip(_EDGE_PUNCTUATION)


def known_source(name: str) -> str | None:
    """The short name of a source in the table, else ``None``.

    >>> known_source("Mehr News Agency (MNA)")
    'Mehr'
    >>> known_source("islamic republic news-agency")
    'IRNA'
    >>> known_source("Shafaqna News Agency") is None
    True
    """
    text = _clean_name(name)
    short = _lookup(text)
    if short is None and (bracketed := _BRACKETED_SUFFIX.fullmatch(text)):
        short = _lookup(bracketed["outer"])
    return short


def short_source(name: str) -> str | None:
    """The archive's name for a source: its short name if known, else as written.

    An unknown name loses a trailing bracketed abbreviation and "News Agency";
    nothing left means ``None``.

    >>> short_source("Tasnim News Agency")
    'Tasnim'
    >>> short_source(" Shafaqna  News Agency (SNA)")
    'Shafaqna'
    >>> short_source("  ") is None
    True
    """
    known = known_source(name)
    if known is not None:
        return known
    text = _clean_name(name)
    if bracketed := _BRACKETED_SUFFIX.fullmatch(text):
        text = bracketed["outer"]
    return _NEWS_AGENCY_SUFFIX.sub("", text) or None


def parse_byline(text: str) -> str | None:
    """The short source name if ``text`` is a byline line, else ``None``.

    A byline is, optionally in brackets and with one final period:

    - ``By NAME``, where NAME is a known source or looks like a proper name
      (every word holds a capital, bar connectors such as "of" after the
      first; not starting with a weekday, month, article or "then"; no comma
      or sentence mark);
    - ``By: NAME`` or ``Source: NAME`` (``Sources``, spaces around the colon
      allowed), where NAME may be any short text without sentence marks;
    - a bare known source name and nothing else (``Press TV``).

    The whole line is at most 60 characters and NAME at most 6 words.

    >>> parse_byline("By Mehr News Agency")
    'Mehr'
    >>> parse_byline("(Source : Tasnim)")
    'Tasnim'
    >>> parse_byline("Press TV")
    'Press TV'
    >>> parse_byline("By the end of the week the talks had stalled.") is None
    True
    """
    line = normalize_text(text)
    if not line or len(line) > _MAX_BYLINE_CHARS:
        return None
    if line[:1] in "([" and line[-1:] in ")]":
        line = line[1:-1].strip()
    line = line.removesuffix(".")
    match = _BYLINE.fullmatch(line)
    if match is None:
        return known_source(line)
    name = match["name"]
    words = name.split()
    if not words or len(words) > _MAX_NAME_WORDS or not _SENTENCE_MARKS.isdisjoint(name):
        return None
    if match["by"] and not match["colon"]:
        known = known_source(name)
        if known is not None:
            return known
        if not _looks_like_name(name, words):
            return None
    return short_source(name)


def _looks_like_name(name: str, words: list[str]) -> bool:
    if "," in name or words[0].casefold() in _NOT_A_NAME_START:
        return False
    first, *rest = words
    return _is_capitalised(first) and all(
        word.casefold() in _NAME_CONNECTORS or _is_capitalised(word) for word in rest
    )


def _is_capitalised(word: str) -> bool:
    # Any capital counts: "al-Monitor", "iMENA" and "ISNA" are names too.
    return any(map(str.isupper, word))
