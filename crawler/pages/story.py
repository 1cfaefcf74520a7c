"""Story pages of both CMS families: response in, record out.

Every field is read in layers, most trustworthy first: the template's own
elements (family A "NewsStudio", then family B "IranSamaneh"), then page
metadata, then label text ("Story Code :", the date line, the byline). A field
no layer yields is None, never a guess; the validate pipeline counts every
missing field, so a site redesign shows up in the very next run's stats.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from crawler.clean.dates import choose_published, parse_visible_date
from crawler.clean.sources import parse_byline
from crawler.clean.text import join_paragraphs, normalize_optional, normalize_text
from crawler.clean.urls import code_in_url, without_query
from crawler.items import StoryItem, content_sha256

T = TypeVar("T")

# Where template slots are looked up: every id and class attribute of the page,
# read with one query (see StoryPage._marked).
IDS_AND_CLASSES = etree.XPath(".//@id | .//@class")
# XPath's normalize-space(), which CSS class matching uses, splits on these
# four characters only; str.split() would also split on NBSP and others.
CLASS_NAME = re.compile(r"[^ \t\n\r]+")
# The selector forms a Slot can be answered for (see Slot).
SLOT_SELECTOR = re.compile(
    r"(?P<tag>[a-z0-9]+)?(?P<mark>[#.][\w-]+)(?:(?P<combinator> ~ | )(?P<target>[a-z0-9]+))?"
)


@dataclass(frozen=True)
class Slot:
    """One template element, named by a CSS selector of the few forms the
    templates need: ``#id`` or ``.class``, optionally on one tag (``h1#id``),
    optionally followed by `` a`` (its descendant ``a``) or `` ~ a`` (its
    following sibling ``a``). It is answered from the page's id/class index, not
    by a query over the whole page; what it selects is what the CSS selector
    selects, in document order.

    >>> Slot.parse("h1.title")
    Slot(css='h1.title', mark='.title', tag='h1')
    >>> Slot.parse(".tags_title ~ a").step.path
    '$marked/following-sibling::a'
    >>> Slot.parse("div > a")
    Traceback (most recent call last):
    ValueError: unsupported template selector: 'div > a'
    """

    css: str
    mark: str  # the "#id" or ".class" part, as StoryPage._marked keys it
    tag: str | None
    # From the marked elements to the selected ones, over all marked elements
    # at once: libxml2 returns the union in document order without duplicates,
    # as the CSS selector would select them.
    step: etree.XPath | None = field(repr=False, compare=False)

    @classmethod
    def parse(cls, css: str) -> Slot:
        match = SLOT_SELECTOR.fullmatch(css)
        if match is None:
            raise ValueError(f"unsupported template selector: {css!r}")
        axis = {" ": "descendant", " ~ ": "following-sibling"}.get(match["combinator"])
        step = etree.XPath(f"$marked/{axis}::{match['target']}") if axis else None
        return cls(css, match["mark"], match["tag"], step)

    def select(self, marked: dict[str, list[etree._Element]]) -> list[etree._Element]:
        elements = marked.get(self.mark, [])
        if self.tag is not None:
            elements = [element for element in elements if element.tag == self.tag]
        if self.step is None or not elements:
            return elements
        return self.step(elements[0], marked=elements)


def _slots(*selectors: str) -> tuple[Slot, ...]:
    """The slots of one field, tried in the order given."""
    return tuple(map(Slot.parse, selectors))


CODE_SLOTS = _slots("#docDocID", "#docDiv5InfoCode", ".news_id_c")
DATE_SLOTS = _slots("#docDiv3Date", ".doc_date", ".news_pdate_c")
KICKER_SLOTS = _slots("#docDiv3TitrRou", ".rutitr")
TITLE_SLOTS = _slots("h1#docDiv3TitrMain", "h1.title")
LEAD_SLOTS = _slots("#docDivLead1", ".subtitle")
BODY_SLOTS = _slots("#doctextarea", ".docContentdiv", ".news_body", ".body")
SECTION_SLOTS = _slots(".doc-section-info a", ".news_path a")
TAG_SLOTS = _slots(".doc_tags1 a", ".tags_title ~ a", ".tags_container a", ".tags a")
LEAD_IMAGE_SLOTS = _slots(".doc-image img", ".image_top img", "#docDivLead1 img")

# <meta> names (``property`` or ``name`` attribute) of each metadata layer.
META_TITLE = frozenset({"og:title", "dcterms.title"})
META_DATE = frozenset({"dcterms.created", "article:published_time"})
META_SECTION = frozenset({"article:section"})
METAS = etree.XPath("//meta")
CANONICAL = etree.XPath("//link[@rel='canonical']/@href")
BODY_TEXT = etree.XPath("string(//body)")
HTML_TITLE = etree.XPath("string(//title)")
IMAGES_IN = etree.XPath(".//img")

CODE_LABEL = re.compile(r"Story\s*Code\s*:?\s*(\d{1,12})\b", re.IGNORECASE)
DIGITS = re.compile(r"\d{1,12}")
SITE_NAME_IN_TITLE = re.compile(r"^\s*The Iran Project\s*[-|:]\s*|\s*[-|:]\s*The Iran Project\s*$")
HOME = {"home", "main page", "homepage"}

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


def _skipped(element: etree._Element) -> bool:
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return True
    if tag in SKIPPED_TAGS:
        return True
    marks = f"{element.get('class', '')} {element.get('id', '')}"
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
    linked = normalize_text(" ".join(a.text_content() for a in links))
    return linked == normalize_text(element.text_content())


def text_blocks(
    container: etree._Element, site_hosts: frozenset[str] = frozenset({""})
) -> Iterator[str]:
    """The container's text, one string per visual block, in order.

    Walks iteratively (pages with 100,000 nested tags must not exhaust the
    stack) and skips scripts, styles, forms, captions, ads, tags and
    related-story links (links to ``/news/{code}`` on one of ``site_hosts``;
    "" stands for relative links).
    """
    parts: list[str] = []
    walker = etree.iterwalk(container, events=("start", "end"))
    for event, element in walker:
        is_block = element.tag in BLOCK_TAGS or element.tag == "br"
        if event == "start":
            if element is not container and (
                _skipped(element)
                or (element.tag in ("p", "li") and _is_story_link_block(element, site_hosts))
            ):
                walker.skip_subtree()
                continue
            if is_block and parts:
                yield "".join(parts)
                parts = []
            if element.text and element.tag not in SKIPPED_TAGS:
                parts.append(element.text)
        else:
            if element is container:
                break
            if is_block and parts:
                yield "".join(parts)
                parts = []
            if element.tail:
                parts.append(element.tail)
    if parts:
        yield "".join(parts)


def _code_in_slot(text: str) -> int | None:
    """The code in a Story Code slot: after its label, or its first number."""
    match = CODE_LABEL.search(text)
    if match:
        return int(match.group(1))
    match = DIGITS.search(text)
    return int(match.group(0)) if match else None


class StoryPage:
    """Extraction from one parsed page. ``root`` is the lxml document (what
    ``response.selector.root`` gives); ``url`` the final response URL."""

    def __init__(self, root: etree._Element, url: str, crawled_at: str | None = None):
        self.root = root
        self.url = url
        self.crawled_at = crawled_at
        self.notes: list[str] = []

    @classmethod
    def from_response(cls, response: object, crawled_at: str | None = None) -> StoryPage:
        return cls(response.selector.root, response.url, crawled_at)  # type: ignore[attr-defined]

    # -- where things are -----------------------------------------------------

    @cached_property
    def _marked(self) -> dict[str, list[etree._Element]]:
        """Every element with an id or a class, under "#id" and under each
        ".class", in document order: what every template slot is looked up in.
        Built with one query, because a query per slot scans the whole page
        each time, and most slots miss (a family B page misses all of family
        A's, a story without tags misses every tag slot)."""
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

    def _slot_matches(self, slots: tuple[Slot, ...]) -> Iterator[list[etree._Element]]:
        """What each slot selects, slot by slot, so a field stops at the first
        slot that gives it a value."""
        for slot in slots:
            yield slot.select(self._marked)

    def _first_reading(self, slots: tuple[Slot, ...], read: Callable[[str], T | None]) -> T | None:
        """The first element text, slots in order, that ``read`` finds a value in."""
        for elements in self._slot_matches(slots):
            for element in elements:
                value = read(element.text_content())
                if value is not None:
                    return value
        return None

    def _first_element(self, slots: tuple[Slot, ...]) -> etree._Element | None:
        for elements in self._slot_matches(slots):
            if elements:
                return elements[0]
        return None

    @cached_property
    def _page_text(self) -> str:
        """All the page's text: the last layer, read only when a slot misses."""
        return BODY_TEXT(self.root)

    @cached_property
    def _metas(self) -> list[etree._Element]:
        """Every <meta>, found once for the date, title and section layers."""
        return METAS(self.root)

    def _meta_contents(self, names: frozenset[str]) -> Iterator[str]:
        """The content of every <meta> whose ``property`` or ``name`` is one of
        ``names``, in document order."""
        for meta in self._metas:
            content = meta.get("content")
            if content is not None and (meta.get("property") in names or meta.get("name") in names):
                yield content

    @cached_property
    def _canonical_hrefs(self) -> list[str]:
        """Found once for the record's URL and for the site's own hosts."""
        return CANONICAL(self.root)

    # -- identity -----------------------------------------------------------

    @cached_property
    def story_code(self) -> int | None:
        """The Story Code the page itself shows; None means "not a story"."""
        code = self._first_reading(CODE_SLOTS, _code_in_slot)
        if code is not None:
            return code
        match = CODE_LABEL.search(self._page_text)
        return int(match.group(1)) if match else None

    def canonical_url(self) -> str:
        for href in self._canonical_hrefs:
            absolute = urljoin(self.url, href.strip())
            if code_in_url(absolute) == self.story_code:
                return without_query(absolute)
        return without_query(self.url)

    @cached_property
    def _site_hosts(self) -> frozenset[str]:
        """Hosts whose story links are this site's own: relative links, the
        host the page came from, and its canonical host."""
        hosts = {"", urlsplit(self.url).hostname or ""}
        hosts.update(urlsplit(href).hostname or "" for href in self._canonical_hrefs)
        return frozenset(hosts)

    # -- fields -------------------------------------------------------------

    @cached_property
    def title(self) -> str | None:
        title = self._first_reading(TITLE_SLOTS, normalize_optional)
        if title:
            return title
        for value in self._meta_contents(META_TITLE):
            title = normalize_text(value)
            if title:
                return title
        return normalize_optional(SITE_NAME_IN_TITLE.sub("", HTML_TITLE(self.root)))

    def kicker(self) -> str | None:
        return self._first_reading(KICKER_SLOTS, normalize_optional)

    @cached_property
    def lead(self) -> str | None:
        return self._first_reading(LEAD_SLOTS, normalize_optional)

    def published_at(self) -> str | None:
        """The visible date line wins; page metadata only fills in for it (it
        has been seen set to wrong dates on a sibling site). See choose_published."""
        # dict.fromkeys: one element can fill two slots (#docDiv3Date.doc_date).
        slots = dict.fromkeys(e for elements in self._slot_matches(DATE_SLOTS) for e in elements)
        visible = [element.text_content() for element in slots]
        # The whole page only for a date with a time: its time-less dates
        # include the header's today-date.
        if not any(map(parse_visible_date, visible)) and parse_visible_date(self._page_text):
            visible.append(self._page_text)
        published, notes = choose_published(visible, self._meta_contents(META_DATE))
        self.notes.extend(notes)
        return published

    @cached_property
    def _body_container(self) -> etree._Element | None:
        return self._first_element(BODY_SLOTS)

    @cached_property
    def _body_and_byline(self) -> tuple[str | None, str | None]:
        container = self._body_container
        if container is None:
            return None, None
        blocks = text_blocks(container, self._site_hosts)
        paragraphs = [p for p in map(normalize_text, blocks) if p]
        paragraphs = [p for p in paragraphs if p != self.title]
        source = None
        if paragraphs:
            source = parse_byline(paragraphs[-1])
            if source:
                paragraphs.pop()
        if source is None:
            source = self._byline_after(container)
        return join_paragraphs(paragraphs) or None, source

    @staticmethod
    def _byline_after(container: etree._Element) -> str | None:
        """The byline as its own element right after the body."""
        for sibling in container.itersiblings():
            if not isinstance(sibling.tag, str):
                continue
            text = normalize_text(sibling.text_content())
            if text:
                return parse_byline(text)
        return None

    def body(self) -> str | None:
        return self._body_and_byline[0]

    def source(self) -> str | None:
        return self._body_and_byline[1]

    def section(self) -> str | None:
        for links in self._slot_matches(SECTION_SLOTS):
            crumbs = [normalize_text(a.text_content()) for a in links]
            crumbs = [c for c in crumbs if c and c.lower() not in HOME]
            if crumbs:
                return crumbs[-1]
        for value in self._meta_contents(META_SECTION):
            section = normalize_text(value)
            if section:
                return section
        return None

    def tags(self) -> list[str]:
        for links in self._slot_matches(TAG_SLOTS):
            tags = [normalize_text(a.text_content()) for a in links]
            tags = list(dict.fromkeys(t for t in tags if t))
            if tags:
                return tags
        return []

    def images(self) -> list[str]:
        found: list[etree._Element] = []
        lead_image = self._first_element(LEAD_IMAGE_SLOTS)
        if lead_image is not None:
            found.append(lead_image)
        if self._body_container is not None:
            found.extend(IMAGES_IN(self._body_container))
        urls = []
        for img in found:
            src = (img.get("src") or img.get("data-src") or "").strip()
            if src and not src.startswith("data:"):
                urls.append(urldefrag(urljoin(self.url, src)).url)
        return list(dict.fromkeys(urls))

    # -- the record ---------------------------------------------------------

    def to_item(self) -> StoryItem:
        title, lead, body = self.title, self.lead, self.body()
        return StoryItem(
            story_code=self.story_code,
            url=self.canonical_url(),
            title=title,
            kicker=self.kicker(),
            lead=lead,
            body=body,
            published_at=self.published_at(),
            source=self.source(),
            section=self.section(),
            tags=self.tags(),
            images=self.images(),
            crawled_at=self.crawled_at,
            content_sha256=content_sha256(title, lead, body) if title and body else None,
        )
