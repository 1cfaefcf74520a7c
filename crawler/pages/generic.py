"""The generic layer: a page no known layout matches, read by trafilatura.

It runs only after the layout switch found nothing (its cost never touches
the normal path), and its reading is a story only when it is good enough to
archive (:func:`GenericPage.shortfall`): a title, a real body, a publication
date with a time, and no sign of a listing. Anything less leaves the page
``unrecognized``, which is asked again and is loud; a wrong record would be
neither.
"""

from __future__ import annotations

import copy
import re
from functools import cached_property
from typing import Any

import trafilatura
from lxml import etree

from crawler.clean.text import normalize_optional, normalize_text
from crawler.clean.urls import code_in_url
from crawler.pages.base import META_DATE, StoryPage
from crawler.pages.fields import choose_published

# Less than this is a teaser, a notice or a fragment, not a story's text.
MIN_BODY_CHARS = 300
# Headlines of this many other stories inside the "body" make it a listing.
MAX_LINKED_HEADLINES = 2
# Metadata that carries a publication time on pages of unknown templates.
META_DATE_ANY = META_DATE | {"datePublished", "og:published_time", "pubdate", "publishdate"}
# Where an unknown template may show its date: elements named for it, and <time>.
DATE_NAMED = re.compile(r"date|time|publish", re.IGNORECASE)
DATE_ELEMENTS = etree.XPath("//time | //*[@class or @id]")
STORY_LINKS = etree.XPath("//a[contains(@href, '/news/')]")


class GenericPage(StoryPage):
    """The same fields as a layout's, from trafilatura's reading of the page."""

    name = "generic"
    evidence = {}

    @cached_property
    def _reading(self) -> dict[str, Any]:
        # trafilatura prunes the tree it is given: a copy keeps the page whole.
        result = trafilatura.bare_extraction(
            copy.deepcopy(self.doc.root),
            url=self.doc.url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            favor_precision=True,
        )
        return result.as_dict() if result is not None else {}

    @cached_property
    def title(self) -> str | None:
        return normalize_optional(self._reading.get("title"))

    @cached_property
    def _paragraphs(self) -> list[str]:
        lines = map(normalize_text, (self._reading.get("text") or "").split("\n"))
        return [line for line in lines if line and line != self.title]

    def _visible_dates(self) -> list[str]:
        texts = []
        for element in DATE_ELEMENTS(self.doc.root):
            marks = f"{element.get('class', '')} {element.get('id', '')}"
            if element.tag == "time" or DATE_NAMED.search(marks):
                texts.append(element.text_content())
        return texts

    @cached_property
    def _date_decision(self) -> tuple[str | None, list[str]]:
        metadata = self.doc.meta_contents(META_DATE_ANY)
        metadata += [t.get("datetime", "") for t in self.doc.root.iter("time")]
        return choose_published(self._visible_dates(), metadata)

    def _linked_headlines(self) -> int:
        """How many links to other stories have their text in the body."""
        body = self.body or ""
        own = self.story_code
        count = 0
        for link in STORY_LINKS(self.doc.root):
            text = normalize_text(link.text_content())
            code = code_in_url(link.get("href", ""))
            if code is not None and code != own and len(text) > 20 and text in body:
                count += 1
        return count

    def shortfall(self) -> str | None:
        """Why this reading is not a story, or None when it is good enough."""
        if self.story_code is None:
            return "no story code"
        if not self.title:
            return "no title"
        if len(self.body or "") < MIN_BODY_CHARS:
            return f"body under {MIN_BODY_CHARS} characters"
        if self.published_at is None:
            return "no publication date with a time"
        if self._linked_headlines() > MAX_LINKED_HEADLINES:
            return "a list of other stories"
        return None
