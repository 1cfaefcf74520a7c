"""A second opinion on a page's declared charset.

Sites in the region mislabel pages both ways: UTF-8 bytes labelled
windows-1256, and windows-1256 bytes labelled UTF-8. The bytes settle it: a
body with non-ASCII bytes that decodes as strict UTF-8 is UTF-8 (legacy text
almost never does); a body that is not UTF-8, whatever it is labelled (or
left unlabelled, which the HTTP default makes Western), that decodes as
windows-1256 into Arabic-script letters and as its label into none, is
windows-1256.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

ARABIC_LETTERS = re.compile("[\u0600-\u06ff]{3,}")


def _canonical(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


class Charset(NamedTuple):
    """What the bytes say about a body's declared charset."""

    corrected: str | None  # the encoding the body really is in, when it is not the declared one
    utf8: bool  # the body is valid UTF-8 (plain ASCII included)


def check_charset(body: bytes, declared: str) -> Charset:
    """The body's real encoding when it is not ``declared``, and whether it is UTF-8.

    >>> text = "سلام دنیا".encode("utf-8")
    >>> check_charset(text, "cp1256")
    Charset(corrected='utf-8', utf8=True)
    >>> check_charset("سلام عليكم".encode("cp1256"), "utf-8")
    Charset(corrected='cp1256', utf8=False)

    Left unlabelled, or under a server's Western default, the same bytes:

    >>> check_charset("سلام عليكم".encode("cp1256"), "iso-8859-1")
    Charset(corrected='cp1256', utf8=False)
    >>> check_charset("Téhéran".encode("cp1252"), "cp1252")
    Charset(corrected=None, utf8=False)
    >>> check_charset(b"plain ascii", "cp1256")
    Charset(corrected=None, utf8=True)
    >>> check_charset(text, "utf-8")
    Charset(corrected=None, utf8=True)
    """
    if body.isascii():
        return Charset(None, utf8=True)
    declared = _canonical(declared)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        if declared != "cp1256" and _arabic_in(body, "cp1256") and not _arabic_in(body, declared):
            return Charset("cp1256", utf8=False)
        return Charset(None, utf8=False)
    return Charset("utf-8" if declared != "utf-8" else None, utf8=True)


def _arabic_in(body: bytes, encoding: str) -> bool:
    """Whether ``body`` read as ``encoding`` has runs of Arabic-script letters.

    >>> persian = "سلام عليكم".encode("cp1256")
    >>> _arabic_in(persian, "cp1256"), _arabic_in(persian, "latin-1")
    (True, False)
    >>> _arabic_in("Téhéran, façade".encode("latin-1"), "cp1256")  # French reads as French
    False
    """
    try:
        return ARABIC_LETTERS.search(body.decode(encoding, errors="replace")) is not None
    except LookupError:
        return False
