"""HTML and RSS for the replica site, from templates modeled on the reconstructed pages.

Family A follows ``tests/fixtures/pages/story-406025.html`` (NewsStudio), family B
``story-412380-iransamaneh-variant.html`` (IranSamaneh): same ids, classes, labels and
traps (title copy as image caption, comment form labels, byline as the last paragraph,
inline ad script, image captions inside the body).
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from string import Template

from .stories import TEHRAN, Story, make_story, slugify

_TEMPLATE_OF = {
    "newsstudio-classic": "family_a.html",
    "iransamaneh": "family_b.html",
    "newsstudio-current": "newsstudio_current.html",
    "iransamaneh-didgah": "iransamaneh_didgah.html",
    "redesigned": "redesigned.html",
    "redesigned-meta": "redesigned.html",
}
_JALALI_MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)  # fmt: skip
_PERSIAN_WEEKDAYS = ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه")
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

_TEMPLATES = Path(__file__).with_name("templates")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_SECTION_IDS = {
    "Politics": 1,
    "Nuclear": 2,
    "Defense": 3,
    "Economy": 4,
    "International": 5,
    "Society": 6,
    "Opinion": 7,
}
_CAPTIONS = (
    "Participants at the opening session in Tehran.",
    "File photo.",
    "A view of the meeting.",
    "Photo: IRNA",
)
_AD_SCRIPT = "<script type=\"text/javascript\">loadAd('inline-1');</script>"
_PAD_MARK = "\x00padding\x00"


@dataclass(frozen=True)
class Variant:
    """Tweaks a hostile page needs; the default renders the plain page."""

    charset: str | None = "utf-8"  # the label in the page's meta tag; None: no label at all
    body_extra: str = ""  # markup appended inside the story body container
    link_hosts: tuple[str, ...] = ()  # wrap the first paragraphs in links to these hosts


@cache
def _template(name: str) -> Template:
    """Templates are files so they can be read and diffed against the fixture pages."""
    return Template((_TEMPLATES / name).read_text(encoding="utf-8"))


def esc(text: str) -> str:
    """Escape text for HTML content and attributes, writing NBSP as the CMS does."""
    return html.escape(text, quote=True).replace("\xa0", "&nbsp;")


def _today() -> str:
    """The header's *today* date ("19 Jul 2024"): a decoy publication date."""
    now = datetime.now(TEHRAN)
    return f"{now.day} {_MONTHS[now.month - 1][:3]} {now.year}"


def to_jalali(year: int, month: int, day: int) -> tuple[int, int, int]:
    """The Jalali (Solar Hijri) date of a Gregorian date, by the arithmetic of the
    33-year cycle (jalaali-js); written here, not taken from the crawler's library,
    so that the replica stays an independent yardstick.

    >>> to_jalali(2025, 12, 13), to_jalali(2026, 10, 1), to_jalali(2016, 12, 29)
    ((1404, 9, 22), (1405, 7, 9), (1395, 10, 9))
    """
    before = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
    leap_year = year + 1 if month > 2 else year
    days = (
        355666 + 365 * year + (leap_year + 3) // 4 - (leap_year + 99) // 100
        + (leap_year + 399) // 400 + day + before[month - 1]
    )  # fmt: skip
    jy = -1595 + 33 * (days // 12053)
    days %= 12053
    jy += 4 * (days // 1461)
    days %= 1461
    if days > 365:
        jy += (days - 1) // 365
        days = (days - 1) % 365
    if days < 186:
        return jy, 1 + days // 31, 1 + days % 31
    return jy, 7 + (days - 186) // 30, 1 + (days - 186) % 30


def date_line(story: Story) -> str:
    """The visible publication date: family A "Thursday 11 May 2023 - 15:52",
    family B "Sunday 14 January 2024 - 09:41" (full month, unpadded day); on the
    Persian edition, Jalali with Persian digits: family A
    "شنبه ۲۲ آذر ۱۴۰۴ ساعت ۱۳:۱۹", family B "۰۹ مهر ۱۴۰۵ - ۱۵:۴۵"."""
    when = story.published
    if story.language == "fa":
        jy, jm, jd = to_jalali(when.year, when.month, when.day)
        month_name = _JALALI_MONTHS[jm - 1]
        if story.family == "A":
            line = f"{_PERSIAN_WEEKDAYS[when.weekday()]} {jd} {month_name} {jy} ساعت {when:%H:%M}"
        else:
            line = f"{jd:02d} {month_name} {jy} - {when:%H:%M}"
        return line.translate(_PERSIAN_DIGITS)
    weekday, month = _WEEKDAYS[when.weekday()], _MONTHS[when.month - 1]
    if story.family == "A":
        return f"{weekday} {when.day:02d} {month[:3]} {when.year} - {when:%H:%M}"
    return f"{weekday} {when.day} {month} {when.year} - {when:%H:%M}"


def _charset_meta(family: str, charset: str | None) -> str:
    """The page's own charset declaration, in the family's style."""
    if charset is None:
        return ""
    if family != "B":
        return f'<meta charset="{charset}">'
    return f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'


def _section_crumb(story: Story) -> str:
    """The breadcrumb after "Home"; the section is its last entry."""
    if not story.section:
        return ""
    name, key = esc(story.section), story.section.lower().replace(" ", "-")
    if story.layout == "newsstudio-current":
        return (
            '\n      <li class="breadcrumb-item" itemprop="articleSection">'
            f'<a href="/{story.language}/service/{key}">{name}</a></li>'
        )
    if story.family == "A":
        number = _SECTION_IDS.get(story.section, 9)
        return f' &raquo; <a href="/en/services/{number}/{key}">{name}</a>'
    return f' <span>/</span> <a href="/en/service/{key}">{name}</a>'


def _paragraphs(story: Story, link_hosts: tuple[str, ...]) -> list[str]:
    """Body paragraphs; with ``link_hosts`` the first ones become off-site links."""
    out = []
    for index, text in enumerate(story.body):
        if index < len(link_hosts):
            href = f"{link_hosts[index]}/en/news/{story.code + index + 1}/elsewhere"
            out.append(f'<p><a href="{esc(href)}">{esc(text)}</a></p>')
        else:
            out.append(f"<p>{esc(text)}</p>")
    return out


def _article_a(story: Story, variant: Variant) -> str:
    """Family A body: paragraphs, second image inline, spacer, ``<strong>`` byline."""
    lines = _paragraphs(story, variant.link_hosts)
    if len(story.images) > 1:
        inline = f'<div style="text-align:center"><img src="{esc(story.images[1])}" alt=""></div>'
        lines.insert(1, inline)
    lines.append("<p>&nbsp;</p>")
    if story.source:
        lines.append(f"<p><strong>{esc(story.source)}</strong></p>")
    return "\n".join(lines)


def _article_current(story: Story, variant: Variant) -> str:
    """NewsStudio current body: every image in the body (lead image first),
    paragraphs, the byline as the last paragraph."""
    lines = [f'      <p><img src="{esc(src)}" alt=""></p>' for src in story.images[:1]]
    lines += [f"      {p}" for p in _paragraphs(story, variant.link_hosts)]
    lines[2:2] = [f'      <p><img src="{esc(src)}" alt=""></p>' for src in story.images[1:]]
    if story.source:
        lines.append(f"      <p>{esc(story.source)}</p>")
    return "\n".join(lines)


def _article_redesigned(story: Story, variant: Variant) -> str:
    return "\n".join(f"      {p}" for p in _paragraphs(story, variant.link_hosts))


def _figure_b(story: Story, index: int, css: str) -> str:
    """A family B image with its caption span (captions are never story text)."""
    caption = _CAPTIONS[(story.code + index) % len(_CAPTIONS)]
    return (
        f'      <div class="{css}"><img src="{esc(story.images[index])}" alt="{esc(story.title)}">'
        f'<span class="img_caption">{caption}</span></div>'
    )


def _article_b(story: Story, variant: Variant) -> str:
    """Family B body: top image, paragraphs with an inline ad script, "Source:" line."""
    lines = [f"      {p}" for p in _paragraphs(story, variant.link_hosts)]
    lines.insert(min(2, len(lines)), f"      {_AD_SCRIPT}")
    if len(story.images) > 1:
        lines.insert(1, _figure_b(story, 1, "image_inline"))
    if story.images:
        lines.insert(0, _figure_b(story, 0, "image_top"))
    if story.source:
        lines.append(f"      <p>{esc(story.source)}</p>")
    return "\n".join(lines)


def _image_block_a(story: Story) -> str:
    """Family A lead image; its caption is a copy of the title, as on the printed page."""
    if not story.images:
        return ""
    title = esc(story.title)
    return (
        '\n      <div class="doc-image">\n'
        f'        <img src="{esc(story.images[0])}" alt="{title}" width="640" height="360">\n'
        f'        <div class="doc-image-caption">{title}</div>\n'
        "      </div>\n"
    )


def _lead_block(story: Story) -> str:
    """The lead in the family's container; absent when the story has none."""
    if story.lead is None:
        return ""
    if story.layout == "newsstudio-current":
        return f'    <p class="summary introtext" itemprop="description">{esc(story.lead)}</p>'
    if story.family == "A":
        return (
            '\n      <div id="docDivLead1">\n'
            f'        <div id="docDivLead3"><div>{esc(story.lead)}</div></div>\n'
            "      </div>\n"
        )
    return f'    <div class="subtitle">{esc(story.lead)}</div>'


def _tags_block(story: Story) -> str:
    """Tag links in the family's container; absent when the story has none."""
    if not story.tags:
        return ""
    links = [
        f'<a href="/en/tag/{i + 1}/{slugify(t)}">{esc(t)}</a>' for i, t in enumerate(story.tags)
    ]
    if story.layout == "newsstudio-current":
        return f'    <div class="tags">{" ".join(links)}</div>'
    if story.family == "A":
        inner = "\n        ".join(links)
        return (
            '\n      <div class="doc_tags1">\n        <span class="tags-title">Tags:</span>\n'
            f"        {inner}\n      </div>\n"
        )
    return (
        '    <div class="tags_container"><div class="tags_title">Tags:</div>\n'
        f"      {' '.join(links)}\n    </div>"
    )


def _related(story: Story) -> str:
    """Links to the two previous codes, as the site's related-news box has."""
    items = []
    for code in (story.code - 1, story.code - 2):
        if code > 0:
            other = make_story(code)
            items.append(f'          <li><a href="{other.path}">{esc(other.title)}</a></li>')
    return "\n".join(items)


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _fields(story: Story, base_url: str, variant: Variant) -> dict[str, str]:
    """Template values shared by both families."""
    articles = {"A": _article_a, "B": _article_b}
    article = articles.get(story.family, _article_redesigned)
    if story.layout == "newsstudio-current":
        article = _article_current
    elif story.layout in ("redesigned", "redesigned-meta"):
        article = _article_redesigned
    when = story.published
    meta_date = ""
    if story.layout == "redesigned-meta":
        meta_date = f'<meta property="article:published_time" content="{_iso(when)}">'
    og_image = ""
    if story.images:
        og_image = f'<meta property="og:image" content="{esc(base_url + story.images[0])}">'
    return {
        "charset_meta": _charset_meta(story.family, variant.charset),
        "title": esc(story.title),
        "description": esc(story.lead or story.title),
        "canonical": esc(base_url + story.path),
        "path": esc(story.path),
        "og_image": og_image,
        "created": story.published.isoformat(timespec="seconds"),
        "code": str(story.code),
        "today": _today(),
        "year": str(datetime.now(TEHRAN).year),
        "section": esc(story.section or ""),
        "section_crumb": _section_crumb(story),
        "date_line": date_line(story),
        "kicker": esc(story.kicker or ""),
        "image_block": _image_block_a(story),
        "lead_block": _lead_block(story),
        "article": article(story, variant),
        "lang": story.language,
        "dir": "rtl" if story.language == "fa" else "ltr",
        "created_utc": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "crumb": _section_crumb(story),
        "summary": _lead_block(story),
        "meta_date": meta_date,
        "epoch": str(int(when.timestamp())),
        "x_when": f"{when.day}.{when.month}.{when.year} \u00b7 {when:%H:%M}",
        "body_extra": variant.body_extra,
        "tags_block": _tags_block(story),
        "related": _related(story),
        "padding": _PAD_MARK,
    }


@cache
def _pad_blocks() -> tuple[str, ...]:
    """Sidebar boxes, inline CSS and inline JS, as a real page carries around a story."""
    blocks = []
    for i in range(24):
        if i % 3 == 0:
            items = "".join(
                f'<li><a href="/en/tag/{i * 10 + j}/topic-{i}-{j}">Topic {i}-{j}: background,'
                f" analysis and the latest reports</a></li>\n"
                for j in range(10)
            )
            box = f'<div class="side-box box-{i}">\n<h3>More stories</h3>\n'
            blocks.append(f"{box}<ul>\n{items}</ul>\n</div>\n")
        elif i % 3 == 1:
            rules = "".join(
                f".box-{i} .item-{j}{{margin:{j}px 0;padding:0 {j}px;color:#{j:03d}{i:03d}}}\n"
                for j in range(24)
            )
            blocks.append(f"<style>\n{rules}</style>\n")
        else:
            entries = ",".join(f'"slot{j}":{{"id":{i * 100 + j},"w":300}}' for j in range(16))
            blocks.append(f"<script>\nwindow.adSlots{i} = {{{entries}}};\n</script>\n")
    return tuple(blocks)


def padding(size: int) -> str:
    """ASCII markup of exactly ``size`` characters (bytes in any ASCII-compatible charset)."""
    parts: list[str] = []
    used = 0
    for block in itertools.cycle(_pad_blocks()):
        if used + len(block) > size:
            break
        parts.append(block)
        used += len(block)
    rest = size - used
    parts.append(f"<!--{' ' * (rest - 7)}-->" if rest >= 7 else " " * rest)
    return "".join(parts)


def render_page(
    story: Story,
    *,
    base_url: str = "",
    pad_to: int | None = None,
    variant: Variant = Variant(),
    encoding: str = "utf-8",
) -> bytes:
    """A story page in ``encoding``; with ``pad_to``, exactly that many bytes if it fits."""
    text = _template(_TEMPLATE_OF[story.layout]).substitute(_fields(story, base_url, variant))
    before, after = text.split(_PAD_MARK)
    head = before.encode(encoding, "xmlcharrefreplace")
    tail = after.encode(encoding, "xmlcharrefreplace")
    room = (pad_to or 0) - len(head) - len(tail)
    return head + padding(room).encode("ascii") + tail if room > 0 else head + tail


def render_story(story: Story, *, pad_to: int | None = None, base_url: str = "") -> bytes:
    """The story's page, UTF-8; links (canonical, og:url) are absolute when ``base_url`` is set."""
    return render_page(story, base_url=base_url, pad_to=pad_to)


def render_message(heading: str, message: str) -> bytes:
    """A site page with a heading and one message (error pages, "not found" pages)."""
    content = f'    <div class="message"><p>{esc(message)}</p></div>'
    page = _template("page.html").substitute(heading=esc(heading), today=_today(), content=content)
    return page.encode()


def render_home(links: Iterable[tuple[str, str]]) -> bytes:
    """The home page: site header and menu, then the given (path, headline) links."""
    items = "\n".join(f'      <li><a href="{esc(p)}">{esc(t)}</a></li>' for p, t in links)
    content = f'    <div class="home-news">\n      <ul>\n{items}\n      </ul>\n    </div>'
    page = _template("page.html").substitute(heading="Latest news", today=_today(), content=content)
    return page.encode()


def render_feed(stories: Iterable[Story], base_url: str) -> bytes:
    """RSS 2.0 with a link, title, pubDate (RFC 822, Tehran offset) and lead per story."""
    items = []
    for story in stories:
        link = html.escape(base_url + story.path, quote=False)
        items.append(
            f"<item><title>{html.escape(story.title, quote=False)}</title><link>{link}</link>"
            f'<guid isPermaLink="true">{link}</guid>'
            f"<pubDate>{format_datetime(story.published)}</pubDate>"
            f"<description>{html.escape(story.lead or '', quote=False)}</description></item>"
        )
    feed = _template("rss.xml").substitute(link=f"{base_url}/en", items="\n".join(items))
    return feed.encode()


_CHALLENGE = """<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title>
<meta name="robots" content="noindex,nofollow"></head>
<body><div class="main-wrapper"><h1>www.theiranproject.com</h1>
<h2 id="challenge-body-text">Checking if the site connection is secure</h2>
<div id="challenge-stage"></div></div>
<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script>
</body></html>
"""
_MAINTENANCE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Under maintenance</title></head>
<body><div class="notice"><h1>The Iran Project</h1>
<p>The site is down for maintenance. We&#8217;ll be back soon.</p></div></body></html>
"""


def render_blocked(kind: str) -> bytes:
    """A 200 page that is not an answer: a bot challenge, a maintenance notice, or empty."""
    return {"challenge": _CHALLENGE.encode(), "maintenance": _MAINTENANCE.encode()}.get(kind, b"")
