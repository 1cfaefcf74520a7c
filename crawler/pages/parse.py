"""A page's lxml tree: the tree Scrapy's ``response.selector`` builds, for less.

``response.selector`` decodes the whole body to text, strips it, then encodes
it back to UTF-8 for libxml2, and it is cached on the response, so the
response and its selector reference each other and the tree lives until the
cyclic garbage collector runs. For a UTF-8 page the bytes libxml2 would get are the body's own
bytes, stripped the same way, so :func:`parse_page` hands it those, and keeps
nothing on the response: the tree is freed as soon as its reader lets go.
"""

from __future__ import annotations

import codecs

from lxml import etree, html
from scrapy.http import HtmlResponse, TextResponse
from scrapy.selector import Selector

# parsel's HTML parser settings. A parser is reused safely across calls (and
# threads: lxml serializes its use). HTML_PARSER makes plain lxml elements:
# lxml.html's element classes are chosen by a look-up written in Python, run
# for each element Python touches (about 60 a page, 0.02 ms); the layouts need
# nothing of theirs. LXML_HTML_PARSER makes the same tree in lxml.html's
# classes, for trafilatura (the generic layer), which takes only those.
HTML_PARSER = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
LXML_HTML_PARSER = html.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
# What str.strip() removes in ASCII besides what bytes.strip() removes.
STR_ONLY_SPACE = frozenset(b"\x1c\x1d\x1e\x1f")


def same_as_decoded(body: bytes, utf8: bool) -> bytes | None:
    """The bytes parsel would give libxml2 for a UTF-8 page (its text
    stripped, NULs dropped, encoded again), taken from ``body`` without
    decoding it; None when they could differ: a body that is not valid UTF-8
    (``utf8``: decoding puts U+FFFD in), one with a byte order mark (decoding
    drops it) or one that starts or ends with white space only ``str.strip``
    removes (non-ASCII, or U+001C..U+001F).

    >>> same_as_decoded(b" <p>a\\x00b</p>\\n", utf8=True)
    b'<p>ab</p>'
    >>> same_as_decoded("<p>a</p>\\u00a0".encode(), utf8=True) is None
    True
    >>> same_as_decoded(codecs.BOM_UTF8 + b"<p>a</p>", utf8=True) is None
    True
    >>> same_as_decoded(b"\\x00", utf8=True)
    b'<html/>'
    """
    if not utf8 or body.startswith(codecs.BOM_UTF8):
        return None
    stripped = body.strip()
    for end in stripped[:1] + stripped[-1:]:
        if end >= 0x80 or end in STR_ONLY_SPACE:
            return None
    return stripped.replace(b"\x00", b"") or b"<html/>"


def is_utf8(encoding: str) -> bool:
    """
    >>> is_utf8("UTF8"), is_utf8("cp1256")
    (True, False)
    """
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def parse_page(
    response: TextResponse, *, utf8_body: bool, parser: etree.HTMLParser = HTML_PARSER
) -> etree._Element:
    """The root of ``response``'s HTML tree, the same tree (element for
    element, text for text) as ``response.selector.root``. ``utf8_body`` says
    whether the body is valid UTF-8 (the charset check has decoded it).
    ``parser`` is :data:`HTML_PARSER` (plain lxml elements) or
    :data:`LXML_HTML_PARSER` (lxml.html's); a page that is not UTF-8 is
    parsed by parsel, in lxml.html's.

    Only the document's base URL may differ: it is the response URL, not a
    ``<base href>``, which nothing here reads (links are resolved against
    the response URL).
    """
    source = (
        same_as_decoded(response.body, utf8_body)
        if isinstance(response, HtmlResponse) and is_utf8(response.encoding)
        else None
    )
    if source is None:
        # Not cached on the response (no reference cycle to wait on).
        root: etree._Element = Selector(response).root
        return root
    root = etree.fromstring(source, parser=parser, base_url=response.url)
    if root is None:  # as parsel: a document libxml2 made nothing of
        root = etree.fromstring(b"<html/>", parser=parser, base_url=response.url)
    return root
