"""White space and entity clean-up for every text field of a story record.

The archive contract wants each field with entities decoded and all white
space collapsed to single ASCII spaces, so that the content hash does not
change when the site merely re-flows or re-escapes its HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

# Removed outright: C0/C1 controls and DEL (they carry no text, and a NUL would
# end the string for some readers), plus the invisible zero-width space, word
# joiner and BOM that CMS editors paste in. \t\n\v\f\r are not here: they are
# white space. U+200C/U+200D (ZWNJ/ZWJ) are kept on purpose: Persian spelling
# depends on them.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff]")


def normalize_text(value: str | None) -> str:
    """Decode entities, drop control and zero-width characters, collapse white space.

    Entities are decoded until none is left, so double-escaped text from the
    CMS (``&amp;quot;``) comes out clean and the function is idempotent.

    >>> normalize_text("  Iran&nbsp;and\\u00a0Syria \\n\\t sign &amp;quot;deal&amp;quot; ")
    'Iran and Syria sign "deal"'
    >>> normalize_text("zero\\u200bwidth\\x00 and ZWNJ: \\u0645\\u06cc\\u200c\\u0634\\u0648\\u062f")
    'zerowidth and ZWNJ: \\u0645\\u06cc\\u200c\\u0634\\u0648\\u062f'
    >>> normalize_text(None)
    ''
    """
    if not value:
        return ""
    text = value
    # Removing an invisible character can join the halves of an entity and
    # decoding can yield new invisibles, hence the loop until both are done.
    while True:
        text = _INVISIBLE.sub("", text)
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    # str.split() splits on exactly the characters re's \s matches, so white
    # space includes U+00A0, U+1680, U+2000-U+200A, U+2028/9, U+202F, U+205F and
    # U+3000 (the controls it also covers are gone by now). split/join rather
    # than re.sub: this runs on every text block of every page, several times faster.
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
