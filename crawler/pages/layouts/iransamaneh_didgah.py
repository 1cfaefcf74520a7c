"""IranSamaneh's "Didgah" variant: the body in ``div.body-news.body`` and an
``h1.title`` with no link and much white space; the rest as the classic
template."""

from __future__ import annotations

from typing import ClassVar

from crawler.pages.base import Evidence, slots
from crawler.pages.layouts.iransamaneh import IranSamaneh


class IranSamanehDidgah(IranSamaneh):
    name = "iransamaneh-didgah"
    body_slots = slots("div.body-news")
    evidence: ClassVar[Evidence] = {"title": IranSamaneh.title_slots, "body": body_slots}
