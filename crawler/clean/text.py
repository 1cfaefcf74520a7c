"""White space and entity clean-up for every text field of a story record.

The archive contract wants each field with entities decoded, all white space
collapsed to single ASCII spaces, and every other character kept as the site
wrote it, so that the content hash does not change when the site merely
re-flows or re-escapes its HTML, and Persian spelling survives: ZWNJ (U+200C)
joins the parts of a word (``ایستگاه‌های``), ZWJ, LRM and RLM shape and order
mixed Persian and English text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

# The one kind of character removed: C0/C1 control codes (Unicode category Cc)
# that are not white space. They are not writing (HTML forbids them in text),
# and a NUL in a JSON line breaks common readers. Format characters (category
# Cf: ZWNJ, ZWJ, LRM, RLM, ZWSP, BOM...) are text as written and stay.
# \t\n\v\f\r, \x1c-\x1f and \x85 are not here: str.split() treats them as
# white space, so they become a space like any other.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def normalize_text(value: str | None) -> str:
    """Decode entities, drop control codes, collapse white space; keep every other character.

    Entities are decoded until none is left, so double-escaped text from the
    CMS (``&amp;quot;``) comes out clean and the function is idempotent.

    >>> normalize_text("  Iran&nbsp;and\\u00a0Syria \\n\\t sign &amp;quot;deal&amp;quot; ")
    'Iran and Syria sign "deal"'
    >>> word = "\\u0627\\u06cc\\u0633\\u062a\\u06af\\u0627\\u0647\\u200c\\u0647\\u0627\\u06cc"
    >>> normalize_text(f"  {word} \\n") == word
    True
    >>> normalize_text("NUL\\x00 gone, &zwnj; decoded")
    'NUL gone, \\u200c decoded'
    >>> normalize_text(None)
    ''
    """
    if not value:
        return ""
    # Collapsing white space first changes nothing below (neither an entity
    # nor a control code holds white space), and most text has neither: it is
    # done after the split. isprintable() is the quick test for no control
    # code; text it refuses (ZWNJ and other format characters are not
    # printable either) takes the regular expression.
    text = " ".join(value.split())
    if "&" not in text and (text.isprintable() or _CONTROL.search(text) is None):
        return text
    # Decoding can yield control codes (&#x85;) and removing one can join the
    # halves of an entity, hence the loop until both are done.
    while True:
        text = _CONTROL.sub("", text)
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    # str.split() splits on exactly the characters re's \s matches, so white
    # space includes U+00A0, U+1680, U+2000-U+200A, U+2028/9, U+202F, U+205F and
    # U+3000, but not the zero-width characters (U+200B-U+200F, U+2060, U+FEFF),
    # which are not white space in Unicode either. split/join rather than
    # re.sub: this runs on every text block of every page, several times faster.
    return " ".join(text.split())


def normalize_optional(value: str | None) -> str | None:
    """Like :func:`normalize_text`, but an empty result is ``None``.

    >>> normalize_optional(" Environment ")
    'Environment'
    >>> normalize_optional("\\u00a0 ") is None
    True
    """
    return normalize_text(value) or None


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    """Normalize each paragraph, drop the empty ones, join with a blank line.

    >>> join_paragraphs(["First  one.", " ", "&nbsp;", "Second\\none."])
    'First one.\\n\\nSecond one.'
    """
    return "\n\n".join(text for text in map(normalize_text, paragraphs) if text)
