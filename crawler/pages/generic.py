"""The generic layer: a page no known layout matches, read by trafilatura.

It runs only after the layout switch found nothing (its cost never touches
the normal path), and its reading is a story only when it is good enough to
archive (:func:`GenericPage.shortfall`): a title, a real body, a publication
date with a time, and no sign of a listing. Anything less leaves the page
``unrecognized``, which is asked again and is loud; a wrong record would be
neither.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, ClassVar

from lxml import etree

from crawler.clean.dates import choose_published
from crawler.clean.text import normalize_text
from crawler.clean.urls import code_in_url
from crawler.pages.answers import BODY
from crawler.pages.base import (
    META_DATE,
    META_TITLE,
    Evidence,
    StoryPage,
    text_blocks,
    text_content,
)
from crawler.pages.cached import cached_property

# Less than this is a teaser, a notice or a fragment, not a story's text.
MIN_BODY_CHARS = 300
# Headlines of this many other stories (in the body, or as linked headings)
# make the page a listing.
MAX_LINKED_HEADLINES = 2
# Metadata that carries a publication time on pages of unknown templates.
META_DATE_ANY = META_DATE | {"datePublished", "og:published_time", "pubdate", "publishdate"}
# Where an unknown template may show its date: elements named for it, and <time>.
DATE_NAMED = re.compile(r"date|time|publish", re.IGNORECASE)
DATE_ELEMENTS = etree.XPath("//time | //*[@class or @id]")
STORY_LINKS = etree.XPath("//a[contains(@href, '/news/')]")
HEADING_LINKS = etree.XPath(
    "//*[self::h2 or self::h3 or self::h4]//a[contains(@href, '/news/')]"
    " | //a[contains(@href, '/news/')][.//h2 or .//h3 or .//h4]"
)
TITLE_PLACES = etree.XPath("//title | //h1 | //h2")


def as_trafilatura_writes(text: str) -> str:
    """``text`` as trafilatura returns it: NFC, no unprintable characters (it
    drops ZWNJ, which Persian spelling needs), white space collapsed. Only a
    key for finding the page's own text, never written to the archive.

    >>> as_trafilatura_writes("  به‌روز ") == "به" + "روز"
    True
    """
    kept = "".join(c for c in text if c.isprintable() or c.isspace())
    return " ".join(unicodedata.normalize("NFC", kept).split())


class GenericPage(StoryPage):
    """The same fields as a layout's, from trafilatura's reading of the page."""

    name = "generic"
    evidence: ClassVar[Evidence] = {}

    @cached_property
    def _reading(self) -> dict[str, Any]:
        # Imported here: it costs a tenth of a second at every start, and
        # most runs never meet a page no layout knows.
        import trafilatura

        # trafilatura prunes the tree it is given: a copy keeps the page whole.
        result = trafilatura.bare_extraction(
            self.doc.html_copy(),
            url=self.doc.url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            favor_precision=True,
        )
        if result is None:
            return {}
        return result if isinstance(result, dict) else result.as_dict()

    def _as_written(self, found: str | None, candidates: list[str]) -> str | None:
        """The candidate trafilatura's ``found`` text came from, as the site
        wrote it; None when none did."""
        key = as_trafilatura_writes(found or "")
        if not key:
            return None
        return next((c for c in candidates if as_trafilatura_writes(c) == key), None)

    @cached_property
    def title(self) -> str | None:
        candidates = [normalize_text(text_content(e)) for e in TITLE_PLACES(self.doc.root)]
        candidates += map(normalize_text, self.doc.meta_contents(META_TITLE))
        return self._as_written(self._reading.get("title"), candidates)

    @cached_property
    def _page_blocks(self) -> list[str]:
        blocks = (b for body in BODY(self.doc.root) for b in text_blocks(body, self.doc.site_hosts))
        return [text for text in map(normalize_text, blocks) if text]

    @cached_property
    def _unmatched(self) -> int:
        """trafilatura's paragraphs that are not one of the page's own blocks."""
        return len(self._matched) - sum(p is not None for p in self._matched)

    @cached_property
    def _matched(self) -> list[str | None]:
        """trafilatura's paragraphs, each as the page's own block wrote it."""
        by_key = {as_trafilatura_writes(block): block for block in reversed(self._page_blocks)}
        lines = (self._reading.get("text") or "").split("\n")
        return [by_key.get(key) for key in map(as_trafilatura_writes, lines) if key]

    @cached_property
    def _paragraphs(self) -> list[str]:
        return [p for p in self._matched if p is not None and p != self.title]

    def _visible_dates(self) -> list[str]:
        texts = []
        for element in DATE_ELEMENTS(self.doc.root):
            marks = f"{element.get('class', '')} {element.get('id', '')}"
            if element.tag == "time" or DATE_NAMED.search(marks):
                texts.append(text_content(element))
        return texts

    @cached_property
    def _date_decision(self) -> tuple[str | None, list[str]]:
        metadata = self.doc.meta_contents(META_DATE_ANY)
        metadata += [t.get("datetime", "") for t in self.doc.root.iter("time")]
        return choose_published(self._visible_dates(), metadata)

    def _linked_headlines(self) -> int:
        """How many other stories the page lists: headings linking to them, or
        links whose headline is in the body."""
        body = self.body or ""
        own = self.story_code
        listed = set()
        for link in STORY_LINKS(self.doc.root):
            text = normalize_text(text_content(link))
            code = code_in_url(link.get("href", ""))
            if code is not None and code != own and len(text) > 20 and text in body:
                listed.add(code)
        for link in HEADING_LINKS(self.doc.root):
            code = code_in_url(link.get("href", ""))
            if code is not None and code != own:
                listed.add(code)
        return len(listed)

    def shortfall(self) -> str | None:
        """Why this reading is not a story, or None when it is good enough."""
        if self.story_code is None:
            return "no story code"
        if not self.title:
            return "no title"
        if len(self.body or "") < MIN_BODY_CHARS:
            return f"body under {MIN_BODY_CHARS} characters"
        if self._unmatched:
            return f"{self._unmatched} paragraphs not found in the page as written"
        if self.published_at is None:
            return "no publication date with a time"
        if self._linked_headlines() > MAX_LINKED_HEADLINES:
            return "a list of other stories"
        return None
