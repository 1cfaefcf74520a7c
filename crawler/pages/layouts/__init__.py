"""The known page layouts, in the order the layout switch tries them.

A layout matches a page when the page has every part of its ``evidence``;
the first match wins, so a variant comes before the template it varies
(the Didgah body is also a ``.body``).
"""

from __future__ import annotations

from collections.abc import Iterable

from scrapy.utils.misc import load_object

from crawler.errors import BadArguments
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


def load_layouts(paths: Iterable[str]) -> tuple[type[StoryPage], ...]:
    """The STORY_LAYOUTS setting: page objects by import path, in the order
    the layout switch tries them.

    >>> [layout.name for layout in load_layouts(
    ...     ["crawler.pages.layouts.IranSamaneh", "crawler.pages.layouts.NewsStudioClassic"])]
    ['iransamaneh', 'newsstudio-classic']
    >>> load_layouts(["crawler.items.StoryItem"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: STORY_LAYOUTS: crawler.items.StoryItem is not a page object ...
    """
    layouts = []
    for path in paths:
        try:
            layout = load_object(path)
        except (ImportError, NameError, ValueError) as exc:
            raise BadArguments(f"STORY_LAYOUTS: cannot load {path} ({exc})") from None
        if not (isinstance(layout, type) and issubclass(layout, StoryPage)):
            raise BadArguments(f"STORY_LAYOUTS: {path} is not a page object (a StoryPage subclass)")
        layouts.append(layout)
    if not layouts:
        raise BadArguments("STORY_LAYOUTS: no layout given")
    return tuple(layouts)


__all__ = [
    "LAYOUTS",
    "IranSamaneh",
    "IranSamanehDidgah",
    "NewsStudioClassic",
    "NewsStudioCurrent",
    "load_layouts",
]
