"""NewsStudio, current template: no ``docDiv*`` ids at all.

The section is the breadcrumb (``ol > li.breadcrumb-item``, the entries
carrying ``itemprop="articleSection"``), the title ``h1.title >
a[itemprop=headline]``, the lead ``p.summary.introtext[itemprop=description]``
(which may end with an attribution such as ``منبع: برترین‌ها``), the body
``div.item-text[itemprop=articleBody]``, the lead image in ``figure.item-img``
(as on other NewsStudio sites of this generation; unconfirmed here). The date is only in
``article:published_time`` (UTC, ``Z``) and the code only in the URL.
"""

from __future__ import annotations

import re
from typing import ClassVar

from crawler.clean.sources import parse_byline
from crawler.pages.base import Evidence, StoryPage, slots
from crawler.pages.cached import cached_property

# A closing "Source: X" inside the lead's own text, not on a line of its own.
LEAD_ATTRIBUTION = re.compile(r"(?:^|\s)((?:منبع|Source)\s*:\s*[^:]{1,60})$", re.IGNORECASE)


class NewsStudioCurrent(StoryPage):
    name = "newsstudio-current"
    title_slots = slots("h1.title > a", "h1.title")
    body_slots = slots("div.item-text[itemprop=articleBody]")
    evidence: ClassVar[Evidence] = {"title": title_slots, "body": body_slots}
    lead_slots = slots("p.summary.introtext[itemprop=description]", "p.summary")
    section_slots = slots("li.breadcrumb-item[itemprop=articleSection]", "li.breadcrumb-item")
    tag_slots = slots(".tags a")
    lead_image_slots = slots("figure.item-img img")

    @cached_property
    def _lead_and_attribution(self) -> tuple[str | None, str | None]:
        """The lead less a closing attribution, and the source it names."""
        text = self._first_text(self.lead_slots)
        match = LEAD_ATTRIBUTION.search(text) if text else None
        if text is None or match is None:
            return text, None
        source = parse_byline(match.group(1))
        if source is None:
            return text, None
        return text[: match.start()].strip() or None, source

    @cached_property
    def lead(self) -> str | None:
        return self._lead_and_attribution[0]

    @cached_property
    def source(self) -> str | None:
        return self._source_by_body or self._lead_and_attribution[1]
