"""story-archive: a Scrapy project that archives news stories by story code."""

from importlib.metadata import version

__version__ = version("story-archive")
