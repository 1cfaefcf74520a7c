"""Story content for the replica site, and the archive record each story must produce.

Everything here is computed independently of the ``crawler`` package on purpose: the
expected records are the yardstick the crawler is measured against, so they must not
share its code (a shared bug would make both sides agree).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from hashlib import sha256
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

TEHRAN = ZoneInfo("Asia/Tehran")
FAMILIES = ("A", "B")
SLUG_MAX = 100
# Page layouts the replica renders, with their CMS family ("" for none): the two
# families' classic templates (the defaults), NewsStudio's current template,
# IranSamaneh's Didgah variant, and a redesign no layout knows, without date
# metadata ("redesigned": no layer can read its date, so the page stays
# unrecognized) or with it ("redesigned-meta": the generic layer reads it).
LAYOUTS = {
    "newsstudio-classic": "A",
    "newsstudio-current": "A",
    "iransamaneh": "B",
    "iransamaneh-didgah": "B",
    "redesigned": "",
    "redesigned-meta": "",
}
REDESIGNED = ("redesigned", "redesigned-meta")
# The record's ``layout`` for each page layout; a redesign's record, once a test
# adds a layout for it, is named by that layout ("redesigned").
RECORD_LAYOUT = {**{name: name for name in LAYOUTS}, "redesigned-meta": "generic"}
LANGUAGES = ("en", "fa")


def normalize(text: str) -> str:
    """Collapse every run of white space (NBSP included) to one space and trim.

    ``str.split()`` splits on exactly the characters ``str.isspace`` accepts, which is
    the Unicode white space the archive format asks to collapse; ZWNJ (U+200C), which
    Persian words need, is not white space and survives.
    """
    return " ".join(text.split())


def slugify(title: str) -> str:
    """Derive a URL slug the way the site does: ASCII words joined by hyphens, capped."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(slug) > SLUG_MAX:
        slug = slug[:SLUG_MAX].rsplit("-", 1)[0]
    return slug or "news"


def short_source(byline: str) -> str:
    """Reduce a byline to the agency's short name ("By Mehr News Agency" -> "Mehr")."""
    name = normalize(re.sub(r"^(?:by|source)\s*:?\s*", "", normalize(byline), flags=re.I))
    return re.sub(r"\s+news agency$", "", name, flags=re.I)


def _optional(text: str | None) -> str | None:
    """Normalize an optional field; empty after normalizing means absent (null)."""
    return normalize(text or "") or None


@dataclass
class Story:
    """Content of one generated story page; the page and the expected record derive from it."""

    code: int
    family: str = "A"
    title: str = "Untitled story"
    lead: str | None = None
    body: list[str] = field(default_factory=lambda: ["No text."])
    published: datetime = field(default_factory=lambda: datetime(2023, 5, 11, 15, 52))
    source: str | None = None
    source_short: str | None = None
    section: str | None = None
    kicker: str | None = None
    tags: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    slug: str = ""
    layout: str = ""  # one of LAYOUTS; "" means the family's classic template
    language: str = "en"  # "fa": the Persian edition, /fa/news/{code}, Jalali dates

    def __post_init__(self) -> None:
        """Make the fields consistent with what a page can show.

        Pages show minutes only, in Tehran time, so ``published`` is moved to Tehran and
        truncated to the minute (a naive value is read as Tehran local time).
        """
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, not {self.family!r}")
        self.layout = self.layout or ("newsstudio-classic" if self.family == "A" else "iransamaneh")
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {sorted(LAYOUTS)}, not {self.layout!r}")
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {self.language!r}")
        self.family = LAYOUTS[self.layout] or self.family
        if self.layout == "newsstudio-current":
            self.kicker = None  # the current template has no kicker slot
        if self.layout in REDESIGNED:
            # A redesign shows a title, paragraphs and (maybe) a date; nothing else
            # is read from it.
            self.lead = self.kicker = self.section = self.source = None
            self.tags, self.images = [], []
        stamp = self.published
        stamp = stamp.replace(tzinfo=TEHRAN) if stamp.tzinfo is None else stamp.astimezone(TEHRAN)
        self.published = stamp.replace(second=0, microsecond=0)
        self.slug = self.slug or slugify(self.title)
        if self.source_short is None and self.source:
            self.source_short = short_source(self.source)
        if not self.source:
            self.source_short = None

    @property
    def path(self) -> str:
        """The story's canonical path on the site."""
        return f"/{self.language}/news/{self.code}/{self.slug}"

    def expected_record(self, base_url: str) -> dict[str, Any]:
        """The archive record (ARCHIVE_FORMAT.md) for this story, less ``crawled_at``."""
        base = base_url.rstrip("/")
        title = normalize(self.title)
        lead = _optional(self.lead)
        body = "\n\n".join(p for p in map(normalize, self.body) if p)
        digest = sha256(f"{title}\n{lead or ''}\n{body}".encode()).hexdigest()
        return {
            "story_code": self.code,
            "url": base + self.path,
            "language": self.language,
            "title": title,
            "kicker": _optional(self.kicker),
            "lead": lead,
            "body": body,
            "published_at": self.published.isoformat(timespec="seconds"),
            "source": self.source_short,
            "section": _optional(self.section),
            "tags": [tag for tag in map(normalize, self.tags) if tag],
            "images": list(dict.fromkeys(urljoin(base + "/", src) for src in self.images)),
            "layout": RECORD_LAYOUT[self.layout],
            "content_sha256": digest,
            "revision": 1,
            "previous_sha256": None,
        }


# --- generated content ------------------------------------------------------------------

_SUBJECTS = (
    "Foreign Minister Abbas Araghchi",
    "President Masoud Pezeshkian",
    "Government spokeswoman Fatemeh Mohajerani",
    "Parliament Speaker Mohammad Bagher Ghalibaf",
    "Foreign Ministry spokesman Esmaeil Baghaei",
    "The head of the Atomic Energy Organization of Iran",
    "Oil Minister Mohsen Paknejad",
    "Deputy Foreign Minister Kazem Gharibabadi",
    "Tehran\u2019s mayor Alireza Zakani",
    "Ali Akbar Velayati (\u0639\u0644\u06cc\u200c\u0627\u06a9\u0628\u0631"
    " \u0648\u0644\u0627\u06cc\u062a\u06cc)",
    "The governor of the Central Bank of Iran",
    "A senior Iranian diplomat",
)
_VERBS = (
    "said on {day} that",
    "told reporters in {place} that",
    "stressed in a meeting with {country}\u2019s envoy that",
    "announced on {day} that",
    "wrote in a post on X that",
    "told the Islamic Republic News Agency that",
)
_CLAUSES = (
    "Tehran is ready to expand cooperation with {country} in {field}",
    "the talks with {country} had been \u201cconstructive and forward-looking\u201d",
    "trade with {country} rose by {pct}\u00a0percent in the last Iranian year",
    "the {field} agreement would be finalized within weeks",
    "sanctions had failed to halt progress in {field}",
    "exports to {country} reached ${amount}\u00a0million",
    'the proposal was "a step in the right direction" but not enough',
    "the Oil & Gas Ministry would open {n} new projects in {place}",
    "the goal was inflation of <{pct}% and growth of >2% by the end of the year",
    "a joint commission with {country} would meet in {place} next month",
    "Iran\u2019s position on {field} had not changed",
    "the country would not accept \u2018excessive demands\u2019 from the West",
)
_COUNTRIES = (
    "Syria",
    "Iraq",
    "Oman",
    "Qatar",
    "China",
    "Russia",
    "Turkey",
    "India",
    "Pakistan",
    "Armenia",
    "Venezuela",
    "Saudi Arabia",
    "the UAE",
    "Azerbaijan",
)
_FIELDS = (
    "energy",
    "defense",
    "trade",
    "transit",
    "water management",
    "health care",
    "nuclear energy",
    "agriculture",
    "banking",
    "tourism",
    "R&D",
)
_PLACES = (
    "Tehran (\u062a\u0647\u0631\u0627\u0646)",
    "Isfahan",
    "Mashhad (\u0645\u0634\u0647\u062f)",
    "Bushehr",
    "Tabriz",
    "Shiraz",
    "Bandar Abbas",
    "Kish Island",
    "Zahedan",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Sunday", "Saturday")
_TITLES = (
    "Iran, {country} discuss {field} cooperation",
    "{place} hosts regional conference on {field}",
    "Iran ready to expand {field} ties with {country}",
    "Iranian exports to {country} hit {n}-month high",
    "Talks with {country} \u201cconstructive,\u201d says Tehran",
    "Iran rejects \u2018baseless\u2019 claims over {field} program",
    "New {field} projects inaugurated in {place}",
    "{country} & Iran sign {n} memoranda of understanding",
)
_LEADS = (
    "Officials from Iran and {country} met in {place} on {day} to discuss {field}.",
    "Iran says it is ready to work with {country} on {field}, despite sanctions.",
    "A senior official said on {day} that {field} cooperation with {country} will grow.",
)
_SOURCES: tuple[tuple[str | None, str | None], ...] = (
    ("By Mehr", "Mehr"),
    ("Source: IRNA", "IRNA"),
    ("By Tasnim News Agency", "Tasnim"),
    ("By Press TV", "Press TV"),
    ("By Mehr News Agency", "Mehr"),
    ("Source: Tasnim News Agency", "Tasnim"),
    ("By IRNA", "IRNA"),
    ("By Fars News Agency", "Fars"),
    ("Source: Reuters", "Reuters"),
    (None, None),
    (None, None),
)
_SECTIONS = ("Politics", "Nuclear", "Defense", "Economy", "International", "Society", "Opinion")
_KICKERS = ("Exclusive", "Interview", "Analysis", "Environment", "Nuclear talks", "Report")
_TAGS = (
    "Iran nuclear deal",
    "JCPOA",
    "Iran-China ties",
    "Oil exports",
    "Sanctions",
    "Persian Gulf",
    "IAEA",
    "Abbas Araghchi",
    "Strait of Hormuz",
    "Tehran Stock Exchange",
    "Iran-Russia ties",
    "Water crisis",
    "Caspian Sea",
    "Iran\u2013Iraq border",
    "Rial",
)
_FIRST_DAY = datetime(2019, 1, 1)
_SPAN_DAYS = (datetime(2025, 12, 31) - _FIRST_DAY).days


def _fill(rng: random.Random, template: str) -> str:
    """Fill a sentence template's slots with random but plausible values."""
    return template.format(
        country=rng.choice(_COUNTRIES),
        field=rng.choice(_FIELDS),
        place=rng.choice(_PLACES),
        day=rng.choice(_DAYS),
        pct=rng.randint(2, 45),
        n=rng.randint(2, 40),
        amount=f"{rng.randint(20, 9000):,}",
    )


def _sentence(rng: random.Random) -> str:
    """One reported-speech sentence."""
    subject, verb = rng.choice(_SUBJECTS), _fill(rng, rng.choice(_VERBS))
    return f"{subject} {verb} {_fill(rng, rng.choice(_CLAUSES))}."


def _paragraphs(rng: random.Random, code: int) -> list[str]:
    """3-12 paragraphs; one carries a code-derived figure so no two codes share content."""
    paragraphs = [
        " ".join(_sentence(rng) for _ in range(rng.randint(1, 4)))
        for _ in range(rng.randint(3, 12))
    ]
    figure = f"Official figures put the total at {code:,} units, the ministry said."
    spot = rng.randrange(len(paragraphs))
    paragraphs[spot] = f"{paragraphs[spot]} {figure}"
    return paragraphs


def _published(rng: random.Random) -> datetime:
    """A publication time in 2019-2025, 07:00-22:59 Tehran time.

    Keeping clear of midnight avoids the DST switch hours (Iran switched at 00:00 and
    fell back to 23:00), which would make a local time missing or ambiguous.
    """
    day = _FIRST_DAY + timedelta(days=rng.randint(0, _SPAN_DAYS))
    return day.replace(hour=rng.randint(7, 22), minute=rng.randint(0, 59), tzinfo=TEHRAN)


def _images(rng: random.Random, code: int, family: str, published: datetime) -> list[str]:
    """0-2 image paths in the family's own layout."""
    count = rng.choice((0, 1, 1, 1, 2))
    if family == "A":
        return [f"/images/docs/{code // 1000:06d}/n{code:08d}-{s}.jpg" for s in "bc"[:count]]
    folder = f"/files/en/news/{published.year}/{published.month}/{published.day}"
    return [f"{folder}/{rng.randint(10000, 99999)}_{i}{code % 1000}.jpg" for i in range(count)]


def make_story(code: int, *, family: str = "A", seed: int | None = None, **overrides: Any) -> Story:
    """A deterministic, varied story for ``code`` (and ``seed``); ``overrides`` set fields.

    ``layout=`` picks the page layout (``LAYOUTS``; its family follows) and
    ``language="fa"`` the Persian edition. A redesign's story gets at least four
    paragraphs, so that its text is a real story's length.

    Overriding ``title`` re-derives the slug and overriding ``source`` re-derives
    ``source_short`` unless those are overridden too.
    """
    rng = random.Random(f"story:{code}:{seed}")
    published = _published(rng)
    source, source_short = rng.choice(_SOURCES)
    generated: dict[str, Any] = {
        "title": _fill(rng, rng.choice(_TITLES)),
        "lead": _fill(rng, rng.choice(_LEADS)) if rng.random() < 0.8 else None,
        "body": _paragraphs(rng, code),
        "published": published,
        "source": source,
        "source_short": source_short,
        "section": rng.choice(_SECTIONS) if rng.random() < 0.9 else None,
        "kicker": rng.choice(_KICKERS) if rng.random() < 0.4 else None,
        "tags": rng.sample(_TAGS, rng.randint(0, 4)),
        "images": _images(rng, code, overrides.get("family", family), published),
    }
    if "source" in overrides:
        generated["source_short"] = None
    layout = overrides.get("layout", "")
    if LAYOUTS.get(layout):
        family = LAYOUTS[layout]
        generated["images"] = _images(rng, code, family, published)
    if layout in REDESIGNED:
        generated["body"] = generated["body"] + [_sentence(rng) for _ in range(4)]
    unknown = set(overrides) - {f.name for f in fields(Story)}
    if unknown:
        raise TypeError(f"unknown Story fields: {sorted(unknown)}")
    return Story(**{"code": code, "family": family, **generated, **overrides})
