"""A page object for the replica's "redesigned" template, as an operator
would write one after a run exited 8 (see the README's "When the site
changes"): tests add it through the STORY_LAYOUTS setting."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from typing import ClassVar

from crawler.clean.dates import to_iso
from crawler.pages.base import Evidence, StoryPage, slots

STORY_LAYOUTS_WITH_REDESIGN = [
    "crawler.pages.layouts.NewsStudioClassic",
    "crawler.pages.layouts.NewsStudioCurrent",
    "crawler.pages.layouts.IranSamanehDidgah",
    "crawler.pages.layouts.IranSamaneh",
    "tests.layouts.Redesigned",
]


class Redesigned(StoryPage):
    name = "redesigned"
    title_slots = slots("h2.x-headline")
    body_slots = slots(".x-copy")
    evidence: ClassVar[Evidence] = {"title": title_slots, "body": body_slots}

    @cached_property
    def published_at(self) -> str | None:
        # The template states the time only as Unix seconds on the article.
        for story in self.doc.select(slots("article.x-story")[0]):
            if (epoch := story.get("data-published", "")).isdigit():
                return to_iso(datetime.fromtimestamp(int(epoch), UTC))
        return None
