"""A replica of the news site (The Iran Project) served on 127.0.0.1 for tests and benchmarks.

Tests never touch the network: they start a ``ReplicaSite`` with generated stories
(``make_story``), point the crawler at ``site.url`` and compare the archive with each
story's ``expected_record``.
"""

from .render import render_story
from .site import ReplicaSite, story_code
from .stories import Story, make_story

__all__ = ["ReplicaSite", "Story", "make_story", "render_story", "story_code"]
