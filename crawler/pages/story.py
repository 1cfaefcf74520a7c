"""Story pages of both CMS families: response in, record out.

Every field is read in layers, most trustworthy first: the template's own
elements (family A "NewsStudio", then family B "IranSamaneh"), then page
metadata, then label text ("Story Code :", the date line, the byline). A field
no layer yields is None, never a guess; the validate pipeline counts every
missing field, so a site redesign shows up in the very next run's stats.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from cssselect import HTMLTranslator
from lxml import etree

from crawler.clean.dates import parse_meta_date, parse_visible_date, to_iso
from crawler.clean.sources import parse_byline
from crawler.clean.text import join_paragraphs, normalize_optional, normalize_text
from crawler.items import StoryItem, content_sha256

_translator = HTMLTranslator()


def _compile(*selectors: str) -> tuple[etree.XPath, ...]:
    """One compiled XPath per CSS selector, tried in the order given."""
    return tuple(etree.XPath(_translator.css_to_xpath(s)) for s in selectors)


def _meta(*names: str) -> etree.XPath:
    tests = " or ".join(f"@property='{n}' or @name='{n}'" for n in names)
    return etree.XPath(f"//meta[{tests}]/@content")


CODE_SLOTS = _compile("#docDocID", "#docDiv5InfoCode", ".news_id_c")
DATE_SLOTS = _compile("#docDiv3Date", ".doc_date", ".news_pdate_c")
KICKER_SLOTS = _compile("#docDiv3TitrRou", ".rutitr")
TITLE_SLOTS = _compile("h1#docDiv3TitrMain", "h1.title")
LEAD_SLOTS = _compile("#docDivLead1", ".subtitle")
BODY_SLOTS = _compile("#doctextarea", ".docContentdiv", ".news_body", ".body")
SECTION_SLOTS = _compile(".doc-section-info a", ".news_path a")
TAG_SLOTS = _compile(".doc_tags1 a", ".tags_title ~ a", ".tags_container a", ".tags a")
LEAD_IMAGE_SLOTS = _compile(".doc-image img", ".image_top img", "#docDivLead1 img")

META_TITLE = _meta("og:title", "dcterms.title")
META_DATE = _meta("dcterms.created", "article:published_time")
META_SECTION = _meta("article:section")
CANONICAL = etree.XPath("//link[@rel='canonical']/@href")
BODY_TEXT = etree.XPath("string(//body)")
HTML_TITLE = etree.XPath("string(//title)")
IMAGES_IN = etree.XPath(".//img")

CODE_LABEL = re.compile(r"Story\s*Code\s*:?\s*(\d{1,12})\b", re.IGNORECASE)
DIGITS = re.compile(r"\d{1,12}")
NEWS_PATH_CODE = re.compile(r"/news/(\d{1,12})(?:[/?#]|$)")
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


def _first_text(root: etree._Element, slots: tuple[etree.XPath, ...]) -> str | None:
    for slot in slots:
        for element in slot(root):
            text = normalize_text(element.text_content())
            if text:
                return text
    return None


def _first_element(root: etree._Element, slots: tuple[etree.XPath, ...]) -> etree._Element | None:
    for slot in slots:
        found = slot(root)
        if found:
            return found[0]
    return None


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


def _clean_url(url: str) -> str:
    scheme, netloc, path, _, _ = urlsplit(url)
    return urlunsplit((scheme, netloc, path, "", ""))


def code_in_url(url: str) -> int | None:
    """
    >>> code_in_url("https://x.test/en/news/406025/some-slug?x=1")
    406025
    >>> code_in_url("https://x.test/en") is None
    True
    """
    match = NEWS_PATH_CODE.search(urlsplit(url).path + "/")
    return int(match.group(1)) if match else None


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

    # -- identity -----------------------------------------------------------

    @cached_property
    def _page_text(self) -> str:
        return BODY_TEXT(self.root)

    @cached_property
    def story_code(self) -> int | None:
        """The Story Code the page itself shows; None means "not a story"."""
        for slot in CODE_SLOTS:
            for element in slot(self.root):
                text = element.text_content()
                match = CODE_LABEL.search(text) or DIGITS.search(text)
                if match:
                    return int(match.group(1) if match.re is CODE_LABEL else match.group(0))
        match = CODE_LABEL.search(self._page_text)
        return int(match.group(1)) if match else None

    def canonical_url(self) -> str:
        for href in CANONICAL(self.root):
            absolute = urljoin(self.url, href.strip())
            if code_in_url(absolute) == self.story_code:
                return _clean_url(absolute)
        return _clean_url(self.url)

    @cached_property
    def _site_hosts(self) -> frozenset[str]:
        """Hosts whose story links are this site's own: relative links, the
        host the page came from, and its canonical host."""
        hosts = {"", urlsplit(self.url).hostname or ""}
        hosts.update(urlsplit(href).hostname or "" for href in CANONICAL(self.root))
        return frozenset(hosts)

    # -- fields -------------------------------------------------------------

    @cached_property
    def title(self) -> str | None:
        title = _first_text(self.root, TITLE_SLOTS)
        if title:
            return title
        for value in META_TITLE(self.root):
            title = normalize_text(value)
            if title:
                return title
        return normalize_optional(SITE_NAME_IN_TITLE.sub("", HTML_TITLE(self.root)))

    def kicker(self) -> str | None:
        return _first_text(self.root, KICKER_SLOTS)

    @cached_property
    def lead(self) -> str | None:
        return _first_text(self.root, LEAD_SLOTS)

    def published_at(self) -> str | None:
        """The visible date line wins; page metadata only fills in for it (it
        has been seen set to wrong dates on a sibling site)."""
        visible = None
        for slot in DATE_SLOTS:
            for element in slot(self.root):
                visible = parse_visible_date(element.text_content())
                if visible:
                    break
            if visible:
                break
        if visible is None:
            visible = parse_visible_date(self._page_text)
        metadata = next(filter(None, map(parse_meta_date, META_DATE(self.root))), None)
        if visible and metadata and visible != metadata:
            self.notes.append("date_conflict")
        chosen = visible or metadata
        return to_iso(chosen) if chosen else None

    @cached_property
    def _body_container(self) -> etree._Element | None:
        return _first_element(self.root, BODY_SLOTS)

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
        for slot in SECTION_SLOTS:
            crumbs = [normalize_text(a.text_content()) for a in slot(self.root)]
            crumbs = [c for c in crumbs if c and c.lower() not in HOME]
            if crumbs:
                return crumbs[-1]
        for value in META_SECTION(self.root):
            section = normalize_text(value)
            if section:
                return section
        return None

    def tags(self) -> list[str]:
        for slot in TAG_SLOTS:
            tags = [normalize_text(a.text_content()) for a in slot(self.root)]
            tags = list(dict.fromkeys(t for t in tags if t))
            if tags:
                return tags
        return []

    def images(self) -> list[str]:
        found: list[etree._Element] = []
        lead_image = _first_element(self.root, LEAD_IMAGE_SLOTS)
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
