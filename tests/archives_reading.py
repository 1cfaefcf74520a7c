"""A real archive to read, compact and report on: several crawls of the
replica (both page families, a not-found code, a redirect, edited stories
with second revisions), made once and copied for each test."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.crawling import crawl
from tests.replica import ReplicaSite, make_story

TEHRAN = ZoneInfo("Asia/Tehran")
FIRST = 500000
LAST = 500089
EDITED = (500003, 500051, 500088)
NOT_FOUND = tuple(code for code in range(FIRST, LAST + 1) if code % 13 == 0)
REDIRECTED = FIRST + 20


def _recent(code: int) -> datetime:
    return datetime.now(TEHRAN).replace(hour=12) - timedelta(days=1 + code % 3)


def build_archive(site: ReplicaSite, directory: Path) -> None:
    """Three runs of ``stories`` (30 codes each) and one refresh."""
    for code in range(FIRST, LAST + 1):
        family = "A" if code % 2 else "B"
        if code in NOT_FOUND:
            continue
        if code in EDITED:
            site.add_story(make_story(code, family=family, published=_recent(code)))
        else:
            site.add_story(make_story(code, family=family))
    site.set_redirect(REDIRECTED, REDIRECTED + 1)
    for low in range(FIRST, LAST + 1, 30):
        result = crawl("stories", site.url, directory, codes=f"{low}-{low + 29}")
        assert result.exit_status == 0, result.log
    for code in EDITED:
        family = "A" if code % 2 else "B"
        site.add_story(
            make_story(code, family=family, published=_recent(code), body=[f"Edited {code}."])
        )
    refresh = crawl("stories", site.url, directory, codes=f"{FIRST}-{LAST}", refresh="7d")
    assert refresh.exit_status == 0, refresh.log
    assert refresh.stat("archive/records/revisions") == len(EDITED)


def copy_archive(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


def lines_in_files(directory: Path) -> Counter[bytes]:
    """Every archive line, exactly as written, with how often it occurs."""
    counted: Counter[bytes] = Counter()
    for path in sorted(directory.glob("stories-*.jsonl")):
        counted.update(path.read_bytes().splitlines(keepends=True))
    return counted


def current_records(directory: Path) -> dict[int, dict[str, Any]]:
    """Per code, the record with the highest revision, as written."""
    current: dict[int, dict[str, Any]] = {}
    for line in lines_in_files(directory):
        record = json.loads(line)
        code = record["story_code"]
        if code not in current or record["revision"] > current[code]["revision"]:
            current[code] = record
    return current
