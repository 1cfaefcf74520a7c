"""What every layout shares: the parsed page and its index of template slots,
a container's text block by block, and the page object whose fields each
layout fills from its own slots.

A page object follows web-poet's shape: one small method per record field,
each the same kind of thing (a cached property that returns the field's final,
cleaned value), so fields can be read and tested one by one and the record is
just all of them. A field no slot of the layout yields is None, never a guess.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree, html

from crawler.clean.dates import choose_published
from crawler.clean.sources import parse_byline, source_in_attribution
from crawler.clean.text import normalize_optional, normalize_text
from crawler.clean.urls import code_in_url, without_query
from crawler.items import StoryItem, content_sha256
from crawler.pages.cached import cached_property

# Where template slots are looked up: the page's id and class attributes, each
# kind read with one query (see Document.marked and MarkSet). Only elements
# have attributes: descendant-or-self::* spares libxml2 gathering every text
# node first, as .// does (3 µs a query on a story page).
IDS_AND_CLASSES = etree.XPath("descendant-or-self::*/@id | descendant-or-self::*/@class")
ID_ATTRIBUTES = etree.XPath("descendant-or-self::*/@id")
CLASS_ATTRIBUTES = etree.XPath("descendant-or-self::*/@class")
ANY_ID_OF = etree.XPath("boolean(id($ids))")
# XPath's normalize-space(), which CSS class matching uses, splits on these
# four characters only; str.split() would also split on NBSP and others.
CLASS_NAME = re.compile(r"[^ \t\n\r]+")
# The selector forms a Slot can be answered for (see Slot).
SLOT_SELECTOR = re.compile(
    r"(?P<tag>[a-z0-9]+)?(?P<mark>[#.][\w-]+)(?P<more>(?:\.[\w-]+|\[[\w-]+=[\w-]+\])*)"
    r"(?:(?P<combinator> ~ | > | )(?P<target>[a-z0-9]+))?"
)
SLOT_FILTER = re.compile(r"\.(?P<cls>[\w-]+)|\[(?P<attr>[\w-]+)=(?P<value>[\w-]+)\]")

HTML_LANG = etree.XPath("string(/html/@lang)")
BODY_TEXT = etree.XPath("string(//body)")
IMAGES_IN = etree.XPath(".//img")
# lxml.html's text_content(): pages are parsed into plain lxml elements (see
# crawler.pages.parse), which do not have it.
TEXT_CONTENT = etree.XPath("string()", smart_strings=False)

# The code a page shows beside its label, in English or Persian; \d takes
# Persian and Arabic-Indic digits too, and int() reads them.
CODE_LABEL = re.compile(r"(?:Story\s*Code|News\s*ID|کد\s*خبر)\s*[:\uff1a]?\s*(\d{1,12})\b", re.I)
DIGITS = re.compile(r"\d{1,12}")
HOME = frozenset({"home", "main page", "homepage", "خانه", "صفحه اصلی", "صفحه نخست"})

META_TITLE = frozenset({"og:title", "dcterms.title"})
META_DATE = frozenset({"dcterms.created", "article:published_time"})
META_SECTION = frozenset({"article:section"})
META_URL = frozenset({"og:url"})
# A <meta>'s property, name and itemprop.
MetaKeys = tuple[str | None, str | None, str | None]

# Never part of a story's text: their whole subtree is skipped.
SKIPPED_TAGS = frozenset(
    {"script", "style", "noscript", "form", "iframe", "figure", "figcaption", "button",
     "input", "select", "textarea", "svg", "template", "object", "embed", "nav", "aside"}
)  # fmt: skip
SKIPPED_CLASS = re.compile(
    r"caption|(?:^|[\s_-])ads?(?:$|[\s_-])|advert|banner|related|tags?(?:$|[\s_-])|share|social"
    r"|comment",
    re.IGNORECASE,
)
BLOCK_TAGS = frozenset(
    {"p", "div", "li", "ul", "ol", "blockquote", "h2", "h3", "h4", "h5", "h6", "section",
     "article", "table", "tr", "td", "th", "pre", "dl", "dt", "dd", "header", "footer", "hr"}
)  # fmt: skip
BREAKING_TAGS = BLOCK_TAGS | {"br"}


@dataclass(frozen=True)
class Slot:
    """One template element, named by a CSS selector of the few forms the
    templates need: ``#id`` or ``.class``, optionally on one tag (``h1#id``),
    with more classes or ``[attr=value]`` tests, optionally followed by `` a``
    (descendant), `` > a`` (child) or `` ~ a`` (following sibling). It is
    answered from the page's id/class index, not by a query over the whole
    page; what it selects is what the CSS selector selects, in document order.

    >>> Slot.parse("h1.title")
    Slot(css='h1.title', mark='.title', tag='h1')
    >>> Slot.parse(".tags_title ~ a").step.path
    '$marked/following-sibling::a'
    >>> Slot.parse("p.summary.introtext[itemprop=description]").tests
    (('class', 'introtext'), ('itemprop', 'description'))
    >>> Slot.parse("div a > b")
    Traceback (most recent call last):
    ValueError: unsupported template selector: 'div a > b'
    """

    css: str
    mark: str  # the "#id" or ".class" part, as Document.elements_marked takes it
    tag: str | None
    tests: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    # From the marked elements to the selected ones, over all marked elements
    # at once: libxml2 returns the union in document order without duplicates,
    # as the CSS selector would select them.
    step: etree.XPath | None = field(default=None, repr=False, compare=False)

    @classmethod
    def parse(cls, css: str) -> Slot:
        match = SLOT_SELECTOR.fullmatch(css)
        if match is None:
            raise ValueError(f"unsupported template selector: {css!r}")
        tests = tuple(
            ("class", test["cls"]) if test["cls"] else (test["attr"], test["value"])
            for test in SLOT_FILTER.finditer(match["more"])
        )
        axis = {" ": "descendant", " > ": "child", " ~ ": "following-sibling"}.get(
            match["combinator"]
        )
        step = etree.XPath(f"$marked/{axis}::{match['target']}") if axis else None
        return cls(css, match["mark"], match["tag"], tests, step)

    def _passes(self, element: etree._Element) -> bool:
        if self.tag is not None and element.tag != self.tag:
            return False
        for attr, value in self.tests:
            if attr == "class":
                if value not in CLASS_NAME.findall(element.get("class", "")):
                    return False
            elif element.get(attr) != value:
                return False
        return True

    def select(self, elements: list[etree._Element]) -> list[etree._Element]:
        """What the slot selects, given every element with its mark in document order."""
        if elements and (self.tag is not None or self.tests):
            elements = [element for element in elements if self._passes(element)]
        if self.step is None or not elements:
            return elements
        return self.step(elements[0], marked=elements)


def slots(*selectors: str) -> tuple[Slot, ...]:
    """The slots of one field, tried in the order given."""
    return tuple(map(Slot.parse, selectors))


def _marks_index(
    attributes: list[etree._ElementUnicodeResult], names: re.Pattern[str]
) -> dict[str, list[etree._Element]]:
    """Elements under "#id" and under each ".class" ``names`` finds in their
    id and class attributes, in document order."""
    marked: defaultdict[str, list[etree._Element]] = defaultdict(list)
    for value in attributes:
        if value.attrname == "id":
            if names.fullmatch(value):
                marked["#" + value].append(value.getparent())
        elif found := names.findall(value):
            element = value.getparent()
            # dict.fromkeys: an element naming a class twice is selected once.
            for name in dict.fromkeys(found):
                marked["." + name].append(element)
    return marked


@dataclass(frozen=True)
class MarkSet:
    """The ids and classes a set of layouts looks up, so a page's index holds
    only those: most of a page's ids and classes are never asked for, and
    most pages have none of the ids (libxml2 keeps a table of an HTML
    document's ids, so that takes a look-up, not a pass over the page).

    >>> marks = MarkSet.of(["#main", ".title", ".tags_title"])
    >>> page = '<div id="main" class="tags_title title"><p class="title"/></div>'
    >>> def index(root):
    ...     found = {**marks.ids_index(root), **marks.classes_index(root)}
    ...     return {mark: [element.tag for element in elements] for mark, elements in found.items()}
    >>> index(etree.fromstring(page, etree.HTMLParser()))
    {'#main': ['div'], '.tags_title': ['div'], '.title': ['div', 'p']}
    >>> index(etree.fromstring(page)) == index(etree.fromstring(page, etree.HTMLParser()))
    True
    """

    marks: frozenset[str]
    ids: str = field(repr=False)  # space-separated, as XPath's id() takes them
    # One id or class name of the set, as a whole token of its attribute.
    id_names: re.Pattern[str] = field(repr=False)
    class_names: re.Pattern[str] = field(repr=False)

    @classmethod
    def of(cls, marks: Iterable[str]) -> MarkSet:
        marks = frozenset(marks)
        ids = sorted(mark[1:] for mark in marks if mark.startswith("#"))
        classes = sorted(mark[1:] for mark in marks if mark.startswith("."))
        return cls(marks, " ".join(ids), _any_token(ids), _any_token(classes))

    def ids_index(self, root: etree._Element) -> dict[str, list[etree._Element]]:
        if not self.ids:
            return {}
        # Only an HTML parser makes every id attribute an id (XML needs a DTD).
        html_ids = isinstance(root.getroottree().parser, etree.HTMLParser)
        if html_ids and not ANY_ID_OF(root, ids=self.ids):
            return {}
        return _marks_index(ID_ATTRIBUTES(root), self.id_names)

    def classes_index(self, root: etree._Element) -> dict[str, list[etree._Element]]:
        return _marks_index(CLASS_ATTRIBUTES(root), self.class_names)


def _any_token(names: list[str]) -> re.Pattern[str]:
    """One of ``names`` as a whole token of an attribute (tokens are separated
    as CSS class matching separates them).

    >>> _any_token(["tags", "title"]).findall("tags_title title x-tags tags")
    ['title', 'tags']
    """
    alternatives = "|".join(map(re.escape, names)) or "(?!)"
    return re.compile(rf"(?<![^ \t\n\r])(?:{alternatives})(?![^ \t\n\r])")


NO_MARKS = MarkSet.of(())


class Document:
    """One parsed page and what every layout looks things up in, each found
    once: the template marks, the metadata, the canonical links. ``root`` is
    the lxml document (see :func:`crawler.pages.parse.parse_page`); ``url``
    the final response URL; ``marks`` the ids and classes the layouts name
    (:func:`layout_marks`): a slot with another mark is answered too, from an
    index of every id and class built when first needed."""

    def __init__(
        self,
        root: etree._Element,
        url: str,
        marks: MarkSet = NO_MARKS,
        *,
        reparse: Callable[[], etree._Element] | None = None,
    ):
        self.root = root
        self.url = url
        self._marks = marks
        # The page parsed again into lxml.html's element classes, when
        # ``root`` is not in them (see html_copy).
        self._reparse = reparse

    def html_copy(self) -> etree._Element:
        """A copy of the page's tree in lxml.html's element classes (what
        trafilatura takes), free to be changed: a deep copy of the root, as
        trafilatura has always been given."""
        root = self.root
        if not isinstance(root, html.HtmlElement) and self._reparse is not None:
            root = self._reparse()
        return copy.deepcopy(root)

    @cached_property
    def _ids(self) -> dict[str, list[etree._Element]]:
        return self._marks.ids_index(self.root)

    @cached_property
    def _classes(self) -> dict[str, list[etree._Element]]:
        return self._marks.classes_index(self.root)

    @cached_property
    def marked(self) -> dict[str, list[etree._Element]]:
        """Every element with an id or a class, under "#id" and under each
        ".class", in document order. Built with one query, because a query per
        slot scans the whole page each time, and most slots miss (the layout
        switch tries every layout's slots on every page)."""
        marked: defaultdict[str, list[etree._Element]] = defaultdict(list)
        for value in IDS_AND_CLASSES(self.root):
            element = value.getparent()
            if value.attrname == "id":
                marked["#" + value].append(element)
            else:
                # dict.fromkeys: an element naming a class twice is selected once.
                for name in dict.fromkeys(CLASS_NAME.findall(value)):
                    marked["." + name].append(element)
        return marked

    def elements_marked(self, mark: str) -> list[etree._Element]:
        """The elements with ``mark`` ("#id" or ".class"), in document order."""
        if mark not in self._marks.marks:
            return self.marked.get(mark, [])
        return (self._ids if mark.startswith("#") else self._classes).get(mark, [])

    def select(self, slot: Slot) -> list[etree._Element]:
        return slot.select(self.elements_marked(slot.mark))

    def first(self, candidates: tuple[Slot, ...]) -> list[etree._Element]:
        """What the first slot that selects anything selects."""
        for slot in candidates:
            elements = self.select(slot)
            if elements:
                return elements
        return []

    @cached_property
    def _heads(self) -> tuple[list[tuple[str, MetaKeys]], list[str]]:
        """Each <meta> with a content, as (content, its property, name and
        itemprop), and the canonical links: one pass over the page, in
        document order (lxml's tag filter, not a query: it creates no
        element for the rest of the page)."""
        metas: list[tuple[str, MetaKeys]] = []
        canonical: list[str] = []
        for element in self.root.iter("meta", "link"):
            if element.tag == "meta":
                if (content := element.get("content")) is not None:
                    keys = (element.get("property"), element.get("name"), element.get("itemprop"))
                    metas.append((content, keys))
            elif element.get("rel") == "canonical" and (
                href := (element.get("href") or "").strip()
            ):
                canonical.append(self.absolute(href))
        return metas, canonical

    def absolute(self, href: str) -> str:
        """``href`` resolved against the page (urljoin only when it is relative)."""
        return href if href.startswith(("https://", "http://")) else urljoin(self.url, href)

    def meta_contents(self, names: frozenset[str]) -> list[str]:
        """The content of every <meta> whose ``property``, ``name`` or
        ``itemprop`` is one of ``names``, in document order."""
        return [
            content
            for content, (prop, name, itemprop) in self._heads[0]
            if prop in names or name in names or itemprop in names
        ]

    @property
    def canonical_hrefs(self) -> list[str]:
        return self._heads[1]

    @cached_property
    def og_urls(self) -> list[str]:
        return [self.absolute(href.strip()) for href in self.meta_contents(META_URL)]

    @cached_property
    def html_lang(self) -> str | None:
        return HTML_LANG(self.root).strip() or None

    @cached_property
    def text(self) -> str:
        """All the page's text: read only when a slot misses."""
        return BODY_TEXT(self.root)

    @cached_property
    def site_hosts(self) -> frozenset[str]:
        """Hosts whose story links are this site's own: relative links, the
        host the page came from, and its canonical host."""
        hosts = {"", urlsplit(self.url).hostname or ""}
        hosts.update(urlsplit(href).hostname or "" for href in self.canonical_hrefs)
        return frozenset(hosts)


def text_content(element: etree._Element) -> str:
    """The text of ``element`` and all its descendants, as lxml.html's
    ``text_content()`` gives it, for any lxml element.

    >>> text_content(etree.fromstring("<p>a<b>b</b>c</p>"))
    'abc'
    """
    text: str = TEXT_CONTENT(element)
    return text


def _skipped(element: etree._Element, tag: object) -> bool:
    if not isinstance(tag, str):  # comments and processing instructions
        return True
    if tag in SKIPPED_TAGS:
        return True
    cls, ident = element.get("class"), element.get("id")
    if cls is None and ident is None:
        return False
    marks = f"{cls or ''} {ident or ''}"
    return bool(marks.strip()) and SKIPPED_CLASS.search(marks) is not None


def _is_story_link_block(element: etree._Element, site_hosts: frozenset[str]) -> bool:
    """A paragraph that is nothing but a link to another story of this site
    ("Read more: ..."). Links to other hosts are text like any other."""
    links = [
        a
        for a in element.iter("a")
        if code_in_url(href := (a.get("href") or "").strip()) is not None
        and (urlsplit(href).hostname or "") in site_hosts
    ]
    if not links:
        return False
    linked = normalize_text(" ".join(text_content(a) for a in links))
    return linked == normalize_text(text_content(element))


def text_blocks(
    container: etree._Element, site_hosts: frozenset[str] = frozenset({""})
) -> Iterator[str]:
    """The container's text, one string per visual block, in order.

    Walks iteratively (pages with 100,000 nested tags must not exhaust the
    stack) and skips scripts, styles, forms, captions, ads, tags and
    related-story links (links to ``/news/{code}`` on one of ``site_hosts``;
    "" stands for relative links).

    >>> from lxml import html
    >>> list(text_blocks(html.fromstring("<div>a<b>b</b><p>c</p>d<br>e</div>")))
    ['ab', 'c', 'd', 'e']
    """
    parts: list[str] = []
    walker = etree.iterwalk(container, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        is_block = tag in BREAKING_TAGS
        if event == "start":
            if element is not container and (
                _skipped(element, tag)
                or (tag in ("p", "li") and _is_story_link_block(element, site_hosts))
            ):
                walker.skip_subtree()
                continue
            if is_block and parts:
                yield "".join(parts)
                parts = []
            if (text := element.text) and tag not in SKIPPED_TAGS:
                parts.append(text)
        else:
            if element is container:
                break
            if is_block and parts:
                yield "".join(parts)
                parts = []
            if tail := element.tail:
                parts.append(tail)
    if parts:
        yield "".join(parts)


def code_in_slot(text: str) -> int | None:
    """The code in a Story Code slot: after its label, or its first number.

    >>> code_in_slot("Story Code : 406025"), code_in_slot("کد خبر: ۴۰۶۰۲۵")
    (406025, 406025)
    >>> code_in_slot("Story Code : ") is None
    True
    """
    match = CODE_LABEL.search(text) or DIGITS.search(text)
    return int(match.group(match.lastindex or 0)) if match else None


# For each named part of a layout, the slots any one of which must select something.
Evidence = dict[str, tuple[Slot, ...]]


class StoryPage:
    """A story page of one layout: one cached property per record field.

    A layout subclass names itself (``name``), the slots whose presence
    identifies it (``evidence``: for each named part, the slots any one of
    which must select something) and the slots of each field. Fields whose
    reading differs override the property.
    """

    name: ClassVar[str]
    evidence: ClassVar[Evidence]
    code_slots: ClassVar[tuple[Slot, ...]] = ()
    date_slots: ClassVar[tuple[Slot, ...]] = ()
    kicker_slots: ClassVar[tuple[Slot, ...]] = ()
    title_slots: ClassVar[tuple[Slot, ...]] = ()
    lead_slots: ClassVar[tuple[Slot, ...]] = ()
    body_slots: ClassVar[tuple[Slot, ...]] = ()
    section_slots: ClassVar[tuple[Slot, ...]] = ()
    tag_slots: ClassVar[tuple[Slot, ...]] = ()
    lead_image_slots: ClassVar[tuple[Slot, ...]] = ()

    def __init__(self, doc: Document, *, language: str = "en", crawled_at: str | None = None):
        self.doc = doc
        self.language = language
        self.crawled_at = crawled_at

    # -- the layout switch's questions -----------------------------------------

    @classmethod
    def matches(cls, doc: Document) -> bool:
        """Whether the page has every part of ``evidence`` (asked part by part
        only until one is missing)."""
        return all(doc.first(candidates) for candidates in cls.evidence.values())

    @classmethod
    def missing(cls, doc: Document) -> list[str]:
        """The parts of ``evidence`` the page lacks; none means the layout matches."""
        return [part for part, candidates in cls.evidence.items() if not doc.first(candidates)]

    # -- helpers ---------------------------------------------------------------

    def _texts(self, candidates: tuple[Slot, ...]) -> Iterator[str]:
        """The text of every element each slot selects, slots in order."""
        for slot in candidates:
            for element in self.doc.select(slot):
                yield text_content(element)

    def _first_text(self, candidates: tuple[Slot, ...]) -> str | None:
        return next(filter(None, map(normalize_optional, self._texts(candidates))), None)

    # -- identity --------------------------------------------------------------

    @cached_property
    def _code_evidence(self) -> tuple[int | None, bool]:
        """The story code and whether the page names another one anywhere.

        The final URL's story path wins (a page never writes a revision of
        another code), then the canonical link, ``og:url``, the code slots and,
        when none of those has one, the label in the page text.
        """
        doc = self.doc
        from_links = [code_in_url(u) for u in (doc.url, *doc.canonical_hrefs, *doc.og_urls)]
        shown = next(filter(None, map(code_in_slot, self._texts(self.code_slots))), None)
        found = [code for code in (*from_links, shown) if code is not None]
        # The label in the running text is the last resort only: scanning the
        # whole page for it on every page would double the cost of extraction.
        if not found and (label := CODE_LABEL.search(doc.text)):
            found = [int(label.group(1))]
        if not found:
            return None, False
        return found[0], any(code != found[0] for code in found)

    @cached_property
    def story_code(self) -> int | None:
        return self._code_evidence[0]

    @cached_property
    def url(self) -> str:
        """The canonical link when it names the same story, else the final URL."""
        for href in self.doc.canonical_hrefs:
            if code_in_url(href) == self.story_code:
                return without_query(href)
        return without_query(self.doc.url)

    # -- content ---------------------------------------------------------------

    @cached_property
    def title(self) -> str | None:
        return self._first_text(self.title_slots) or next(
            filter(None, map(normalize_optional, self.doc.meta_contents(META_TITLE))), None
        )

    @cached_property
    def kicker(self) -> str | None:
        return self._first_text(self.kicker_slots)

    @cached_property
    def lead(self) -> str | None:
        return self._first_text(self.lead_slots)

    @cached_property
    def _date_decision(self) -> tuple[str | None, list[str]]:
        return choose_published(
            list(self._texts(self.date_slots)), self.doc.meta_contents(META_DATE)
        )

    @cached_property
    def published_at(self) -> str | None:
        """The visible date beats metadata (seen set to wrong dates on a sibling site)."""
        return self._date_decision[0]

    @cached_property
    def _body_container(self) -> etree._Element | None:
        return next(iter(self.doc.first(self.body_slots)), None)

    @cached_property
    def _paragraphs(self) -> list[str]:
        container = self._body_container
        if container is None:
            return []
        blocks = map(normalize_text, text_blocks(container, self.doc.site_hosts))
        return [p for p in blocks if p and p != self.title]

    @cached_property
    def _closing_byline(self) -> str | None:
        """The byline as the body's last paragraph (then not body text)."""
        return parse_byline(self._paragraphs[-1]) if self._paragraphs else None

    @cached_property
    def body(self) -> str | None:
        paragraphs = self._paragraphs[:-1] if self._closing_byline else self._paragraphs
        # Already normalized and non-empty: join only (each field is cleaned once).
        return "\n\n".join(paragraphs) or None

    def _byline_after_body(self) -> str | None:
        """The byline as its own element right after the body."""
        if self._body_container is None:
            return None
        for sibling in self._body_container.itersiblings():
            if isinstance(sibling.tag, str) and (text := normalize_text(text_content(sibling))):
                return parse_byline(text)
        return None

    @cached_property
    def source(self) -> str | None:
        return self._source_by_body

    @cached_property
    def _source_by_body(self) -> str | None:
        """A closing byline, one right after the body, or an opening attribution
        sentence (which stays in the body)."""
        return (
            self._closing_byline
            or self._byline_after_body()
            or (source_in_attribution(self._paragraphs[0]) if self._paragraphs else None)
        )

    @cached_property
    def section(self) -> str | None:
        for slot in self.section_slots:
            crumbs = [normalize_text(text_content(e)) for e in self.doc.select(slot)]
            crumbs = [c for c in crumbs if c and c.casefold() not in HOME]
            if crumbs:
                return crumbs[-1]
        return next(
            filter(None, map(normalize_optional, self.doc.meta_contents(META_SECTION))), None
        )

    @cached_property
    def tags(self) -> list[str]:
        for slot in self.tag_slots:
            tags = [normalize_text(text_content(e)) for e in self.doc.select(slot)]
            if found := list(dict.fromkeys(t for t in tags if t)):
                return found
        return []

    @cached_property
    def images(self) -> list[str]:
        found = self.doc.first(self.lead_image_slots)[:1]
        if self._body_container is not None:
            found.extend(IMAGES_IN(self._body_container))
        urls = []
        for img in found:
            src = (img.get("src") or img.get("data-src") or "").strip()
            if src and not src.startswith("data:"):
                urls.append(urldefrag(urljoin(self.doc.url, src)).url)
        return list(dict.fromkeys(urls))

    # -- the record ------------------------------------------------------------

    @property
    def notes(self) -> list[str]:
        """Stats suffixes for what the fields met: another code shown, dates
        that disagree."""
        notes = ["code_conflict"] if self._code_evidence[1] else []
        return notes + self._date_decision[1]

    def to_item(self) -> StoryItem:
        title, lead, body = self.title, self.lead, self.body
        return StoryItem(
            story_code=self.story_code,
            url=self.url,
            language=self.language,
            title=title,
            kicker=self.kicker,
            lead=lead,
            body=body,
            published_at=self.published_at,
            source=self.source,
            section=self.section,
            tags=self.tags,
            images=self.images,
            crawled_at=self.crawled_at,
            layout=self.name,
            content_sha256=content_sha256(title, lead, body) if title and body else None,
        )


@lru_cache(maxsize=16)
def layout_marks(layouts: tuple[type[StoryPage], ...]) -> MarkSet:
    """Every mark the slots of ``layouts`` name: the slots they hold as class
    attributes, their evidence's included.

    >>> from crawler.pages.layouts import NewsStudioClassic
    >>> sorted(layout_marks((NewsStudioClassic,)).marks)[:3]
    ['#docDiv3Date', '#docDiv3TitrMain', '#docDiv3TitrRou']
    """
    marks: set[str] = set()
    for layout in layouts:
        for klass in layout.__mro__:
            for value in vars(klass).values():
                for held in value.values() if isinstance(value, dict) else (value,):
                    if isinstance(held, tuple):
                        marks.update(slot.mark for slot in held if isinstance(slot, Slot))
    return MarkSet.of(marks)
