"""Extraction: a response at a story URL in, an honest reading out.

:func:`read_page` is the one entry point (the spider's, and a WARC
re-extraction's with a response rebuilt from stored bytes). It says what the
page is, never more than the page shows:

- ``story``: a known layout (or, failing every layout, the generic layer)
  made a record; ``item.layout`` names which;
- ``not_found``: the page itself says the story is not there (the site's own
  error page, or the address is not a story's);
- ``blocked``: a bot challenge, a maintenance notice or an empty page, which
  say nothing about the story;
- ``unrecognized``: a page nothing here can read; ``detail`` names the slots
  the closest layout missed.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeGuard
from urllib.parse import urlsplit

from lxml import etree
from scrapy.http import HtmlResponse, JsonResponse, Response, TextResponse, XmlResponse

from crawler.items import StoryItem
from crawler.ledger.base import State
from crawler.pages.answers import blocked_kind, is_listing_or_home, site_error
from crawler.pages.base import NO_MARKS, Document, MarkSet, StoryPage, layout_marks
from crawler.pages.encoding import check_charset
from crawler.pages.generic import GenericPage
from crawler.pages.layouts import LAYOUTS
from crawler.pages.parse import LXML_HTML_PARSER, parse_page

Outcome = Literal["story", "not_found", "unrecognized", "blocked"]


@dataclass
class PageReading:
    """What a page at a story URL turned out to be (see the module docstring)."""

    outcome: Outcome
    item: StoryItem | None = None
    layout: str | None = None
    detail: str | None = None
    # Stats suffixes (archive/extract/<note>): code_conflict, date_conflict,
    # language_mismatch, charset_corrected.
    notes: list[str] = field(default_factory=list)


def choose_layout(
    doc: Document, layouts: Sequence[type[StoryPage]] = LAYOUTS
) -> type[StoryPage] | None:
    """The first layout whose evidence the page has all of."""
    return next((layout for layout in layouts if layout.matches(doc)), None)


def missing_slots(doc: Document, layouts: Sequence[type[StoryPage]] = LAYOUTS) -> str:
    """What the closest layout missed, for an operator to read."""
    if not layouts:
        return "no layouts to try"
    closest = min(layouts, key=lambda layout: len(layout.missing(doc)) / len(layout.evidence))
    parts = [
        f"{part} ({' | '.join(slot.css for slot in closest.evidence[part])})"
        for part in closest.missing(doc)
    ]
    return f"missing slots: {', '.join(parts)} (closest layout: {closest.name})"


def language_notes(doc: Document, language: str) -> list[str]:
    """``<html lang="fa-IR">`` on a ``fa`` edition agrees; another language is noted."""
    declared = doc.html_lang
    if declared is None:
        return []
    primary = declared.replace("_", "-").split("-")[0].casefold()
    return [] if primary == language.casefold() else ["language_mismatch"]


def is_page(response: Response) -> TypeGuard[TextResponse]:
    """Whether a response has an HTML (or XML) tree to read. Scrapy makes any
    body that looks like text a text response: JSON (an API gateway's or a
    firewall's answer), plain text, a PDF; those are read only if they begin
    with markup (a server that labels its HTML text/plain)."""
    if isinstance(response, (HtmlResponse, XmlResponse)):
        return True
    if not isinstance(response, TextResponse) or isinstance(response, JsonResponse):
        return False
    return begins_with_markup(response.body)


def begins_with_markup(body: bytes) -> bool:
    """
    >>> begins_with_markup(b"\\xef\\xbb\\xbf\\n  <!DOCTYPE html><html>")
    True
    >>> begins_with_markup(b"%PDF-1.4"), begins_with_markup(b"Service unavailable <b>soon</b>")
    (False, False)
    """
    return body.lstrip(codecs.BOM_UTF8).lstrip()[:1] == b"<"


def parse_document(response: TextResponse, marks: MarkSet = NO_MARKS) -> tuple[Document, bool]:
    """The page's document, read in the charset its bytes are really in, and
    whether that corrected the declared one."""
    charset = check_charset(response.body, response.encoding)
    if charset.corrected is not None:
        response = response.replace(encoding=charset.corrected)
    root = parse_page(response, utf8_body=charset.utf8)

    def reparse() -> etree._Element:
        return parse_page(response, utf8_body=charset.utf8, parser=LXML_HTML_PARSER)

    return Document(root, response.url, marks, reparse=reparse), charset.corrected is not None


def read_page(
    response: Response,
    *,
    language: str,
    crawled_at: str,
    layouts: Sequence[type[StoryPage]] = LAYOUTS,
) -> PageReading:
    """Read a 200 response at a story URL (statuses and redirects are the
    spider's business). ``language`` is the edition's (``SITE_LANGUAGE``);
    ``crawled_at`` goes into the record as is; ``layouts`` are tried in order.
    """
    notes: list[str] = []
    if not response.body.strip():
        return PageReading("blocked", detail="empty")
    if not is_page(response):
        kind = (response.headers.get("Content-Type") or b"").decode("latin-1") or "no type"
        return PageReading("unrecognized", detail=f"not an HTML page ({kind})")
    doc, corrected = parse_document(response, layout_marks(tuple(layouts)))
    if corrected:
        notes.append("charset_corrected")
    notes += language_notes(doc, language)

    layout = choose_layout(doc, layouts)
    if layout is not None:
        page = layout(doc, language=language, crawled_at=crawled_at)
        if page.story_code is None:
            return PageReading(
                "unrecognized", layout=layout.name, detail="no story code", notes=notes
            )
        # A template with neither title nor text is the site's frame around
        # something else (an error message, a notice): read on as if unmatched.
        if page.title is not None or page.body is not None:
            return _story(page, notes)

    if blocked := blocked_kind(doc):
        return PageReading("blocked", detail=blocked, notes=notes)
    if error := site_error(doc):
        return PageReading("not_found", detail=f"the site's error page: {error[:100]}", notes=notes)
    generic = GenericPage(doc, language=language, crawled_at=crawled_at)
    if generic.story_code is None:
        path = urlsplit(response.url).path
        return PageReading("not_found", detail=f"not a story page: {path}"[:200], notes=notes)
    shortfall = generic.shortfall()
    if shortfall is None:
        return _story(generic, notes)
    detail = f"{missing_slots(doc, layouts)}; generic layer: {shortfall}"
    return PageReading("unrecognized", detail=detail, notes=notes)


def refusal_kind(response: Response) -> str | None:
    """ "challenge" or "maintenance" when an error response (a 403 or a 503,
    as CDNs and servers send them) is a bot challenge or a maintenance
    notice: a page that says nothing about the story, like its 200 kin.
    Any other error page (or one that cannot be read) is None."""
    if not is_page(response) or not response.body.strip():
        return None
    try:
        kind = blocked_kind(parse_document(response)[0])
    except Exception:  # a pathological error page stays the HTTP failure it is
        return None
    return kind if kind in ("challenge", "maintenance") else None


@dataclass
class Answer:
    """What one final response at a story URL makes of the code asked: the
    observation the run's rules (``crawler.ledger.rules``) are applied to, the
    record if there is one, and the page reading (notes, layout) behind it."""

    state: State
    item: StoryItem | None = None
    detail: str | None = None
    ref_code: int | None = None
    reading: PageReading | None = None


# What a page that is not a story leaves its code in.
OUTCOME_STATES = {
    "not_found": State.NOT_FOUND,
    "blocked": State.BLOCKED,
    "unrecognized": State.UNRECOGNIZED,
}


def read_answer(
    code: int,
    response: Response,
    *,
    redirected: bool,
    site_url: str,
    language: str,
    crawled_at: str,
    layouts: Sequence[type[StoryPage]] = LAYOUTS,
) -> Answer:
    """The crawl's and the re-extraction's one reading of an answer. 404/410
    and a redirect to the home page or a listing are the site saying the
    story is not there; a page read as another story's is a redirect to it.
    """
    if response.status in (404, 410):
        return Answer(State.NOT_FOUND, detail=f"HTTP {response.status}")
    if redirected and is_listing_or_home(response.url, site_url, language):
        path = response.url.split("://", 1)[-1].partition("/")[2]
        return Answer(State.NOT_FOUND, detail=f"redirected to /{path}"[:200])
    try:
        reading = read_page(response, language=language, crawled_at=crawled_at, layouts=layouts)
    except Exception as exc:  # a pathological page is this code's failure, not the run's
        return Answer(State.FAILED, detail=f"extraction error: {exc!r}"[:300])
    if reading.item is None:
        return Answer(OUTCOME_STATES[reading.outcome], detail=reading.detail, reading=reading)
    story_code = reading.item.story_code
    if story_code != code:
        return Answer(State.REDIRECTED, reading.item, ref_code=story_code, reading=reading)
    return Answer(State.ARCHIVED, reading.item, reading=reading)


def _story(page: StoryPage, notes: list[str]) -> PageReading:
    item = page.to_item()
    return PageReading("story", item=item, layout=page.name, notes=notes + page.notes)


__all__ = [
    "Answer",
    "PageReading",
    "StoryPage",
    "choose_layout",
    "is_listing_or_home",
    "read_answer",
    "read_page",
    "refusal_kind",
]
