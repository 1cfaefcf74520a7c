"""The known page layouts, in the order the layout switch tries them.

A layout matches a page when the page has every part of its ``evidence``;
the first match wins, so a variant comes before the template it varies
(the Didgah body is also a ``.body``).
"""

from __future__ import annotations

from crawler.pages.base import StoryPage
from crawler.pages.layouts.iransamaneh import IranSamaneh
from crawler.pages.layouts.iransamaneh_didgah import IranSamanehDidgah
from crawler.pages.layouts.newsstudio_classic import NewsStudioClassic
from crawler.pages.layouts.newsstudio_current import NewsStudioCurrent

LAYOUTS: tuple[type[StoryPage], ...] = (
    NewsStudioClassic,
    NewsStudioCurrent,
    IranSamanehDidgah,
    IranSamaneh,
)

__all__ = [
    "LAYOUTS",
    "IranSamaneh",
    "IranSamanehDidgah",
    "NewsStudioClassic",
    "NewsStudioCurrent",
]
