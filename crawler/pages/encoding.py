"""A second opinion on a page's declared charset.

Sites in the region mislabel pages both ways: UTF-8 bytes labelled
windows-1256, and windows-1256 bytes labelled UTF-8. The bytes settle it: a
body with non-ASCII bytes that decodes as strict UTF-8 is UTF-8 (legacy text
almost never does); a body labelled UTF-8 that does not decode, but decodes
as windows-1256 into Arabic-script letters, is windows-1256.
"""

from __future__ import annotations

import codecs
import re

ARABIC_LETTERS = re.compile("[\u0600-\u06ff]{3,}")


def _canonical(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


def corrected_encoding(body: bytes, declared: str) -> str | None:
    """The encoding the body really is in, when it is not ``declared``.

    >>> text = "سلام دنیا".encode("utf-8")
    >>> corrected_encoding(text, "cp1256")
    'utf-8'
    >>> corrected_encoding("سلام عليكم".encode("cp1256"), "utf-8")
    'cp1256'
    >>> corrected_encoding(b"plain ascii", "cp1256") is None
    True
    >>> corrected_encoding(text, "utf-8") is None
    True
    """
    if body.isascii():
        return None
    declared = _canonical(declared)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        if declared == "utf-8":
            legacy = body.decode("cp1256", errors="replace")
            if ARABIC_LETTERS.search(legacy):
                return "cp1256"
        return None
    return "utf-8" if declared != "utf-8" else None
