"""Pages that are not stories, told apart by what they positively show.

A bot challenge, a maintenance notice or an empty page says nothing about the
story (``blocked``); only the site's own error page, or an address that is the
home page or a listing, says the story is not there (``not_found``). These are
asked only of pages no layout matched, so a story that merely mentions
"maintenance" or "not found" is still a story.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

from crawler.clean.text import normalize_text
from crawler.pages.base import Document, text_blocks, text_content

# Challenge interstitials (Cloudflare's and the generic "checking your browser").
CHALLENGE_TEXT = re.compile(
    r"just a moment\.*|checking your browser|verify(?:ing)? you are (?:a )?human"
    r"|attention required|ddos protection by|enable javascript and cookies to continue",
    re.IGNORECASE,
)
CHALLENGE_MARKS = ("cf-challenge", "cf_chl", "challenge-platform", "cf-browser-verification")
MAINTENANCE_TEXT = re.compile(
    r"under maintenance|down for maintenance|maintenance mode|scheduled maintenance"
    r"|we(?:'|\u2019)ll be back soon|temporarily (?:unavailable|offline)"
    r"|در حال (?:تعمیر|به\s?روز\s?رسانی|بروزرسانی)|موقتا? (?:در دسترس نیست|غیرفعال)",
    re.IGNORECASE,
)
SITE_ERROR_TEXT = re.compile(
    r"\b(?:not found|404|no longer available|has been removed|does not exist)\b"
    r"|(?:یافت نشد|پیدا نشد|وجود ندارد|حذف شده)",
    re.IGNORECASE,
)
# Where the site states an error: the page title, headings and the elements it
# names for messages; never the running text, which a story may share.
ERROR_PLACES = etree.XPath(
    "//title | //h1 | //h2 | //*[contains(@class, 'error') or contains(@id, 'error')"
    " or contains(@class, 'message') or contains(@class, 'notfound')]"
)
PAGE_TITLE = etree.XPath("string(//title)")
BODY = etree.XPath("//body")
SCRIPT_SOURCES = etree.XPath("//script/@src | //form/@action")
# Shorter than this, a page with no story layout is a notice or nothing at all.
NOTICE_CHARS = 2000
EMPTY_CHARS = 40

LISTING_PATHS = re.compile(
    r"(?:/(?:archive|service|services|tag|tags|search|list|page|rss|latest)(?:/.*)?"
    r"|/index(?:\.\w+)?|/default\.aspx)?/*",
    re.IGNORECASE,
)


def visible_text(doc: Document) -> str:
    """The page's text as a reader sees it: no scripts, styles or forms."""
    return " ".join(normalize_text(" ".join(text_blocks(body))) for body in BODY(doc.root))


def blocked_kind(doc: Document) -> str | None:
    """ "challenge", "maintenance" or "empty" when the page is one, else None."""
    marks = " ".join(doc.marked) + " " + " ".join(SCRIPT_SOURCES(doc.root))
    text = visible_text(doc)
    title = normalize_text(PAGE_TITLE(doc.root))
    if any(mark in marks for mark in CHALLENGE_MARKS) or CHALLENGE_TEXT.search(title):
        return "challenge"
    if len(text) < NOTICE_CHARS and CHALLENGE_TEXT.search(text):
        return "challenge"
    if MAINTENANCE_TEXT.search(title) or (
        len(text) < NOTICE_CHARS and MAINTENANCE_TEXT.search(text)
    ):
        return "maintenance"
    if len(text) < EMPTY_CHARS and site_error(doc) is None:
        return "empty"
    return None


def site_error(doc: Document) -> str | None:
    """The site's own words that the page is an error page, if it says so."""
    for element in ERROR_PLACES(doc.root):
        text = normalize_text(text_content(element))
        if text and len(text) < 200 and SITE_ERROR_TEXT.search(text):
            return text
    return None


def is_listing_or_home(url: str, site_url: str, language: str) -> bool:
    """Whether ``url`` is the site's home page or a listing (archive, section,
    tag, search) of its ``language`` edition or of the root edition: a story
    URL redirected there means the story is not there.

    >>> site = "https://www.theiranproject.com"
    >>> is_listing_or_home(site + "/en", site, "en"), is_listing_or_home(site + "/", site, "en")
    (True, True)
    >>> is_listing_or_home(site + "/fa/archive?page=2", site, "fa")
    True
    >>> is_listing_or_home(site + "/en/news/406025/x", site, "en")
    False
    >>> is_listing_or_home("https://elsewhere.example/en", site, "en")
    False
    """
    target, home = urlsplit(url), urlsplit(site_url)
    if (target.hostname or "").removeprefix("www.") != (home.hostname or "").removeprefix("www."):
        return False
    path = target.path
    base = home.path.rstrip("/")
    if not path.startswith(base):
        return False
    path = path[len(base) :]
    prefix = f"/{language}"
    if path == prefix or path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    return LISTING_PATHS.fullmatch(path) is not None
