"""What the report shows, gathered from the ledger (and the revision index)
with aggregate queries: a million codes cost one pass each, never a read of
the archive files themselves beyond the index's catching up."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from crawler.archive.read import ArchiveReader
from crawler.ledger import State
from crawler.runs import run_files

NEVER_ASKED = "never asked"
LAYOUT_PREFIX = "archive/layout/"
MISSING_PREFIX = "archive/field_missing/"


@dataclass
class Coverage:
    """Codes per state in equal buckets of the code space."""

    buckets: list[tuple[int, int]]  # inclusive (low, high)
    counts: dict[str, list[int]]  # state (and NEVER_ASKED) -> per bucket


@dataclass
class ReportData:
    archive_dir: str
    states: dict[str, int]
    coverage: Coverage | None
    per_day: dict[str, dict[str, int]]  # day -> source -> stories
    per_source: list[tuple[str, int]]
    runs: list[dict[str, Any]]
    field_coverage: list[FieldCoverage] = field(default_factory=list)


@dataclass
class FieldCoverage:
    """One run's records per layout and the share of them that had each field."""

    run_id: str
    started_at: str
    layouts: dict[str, int]
    present: dict[str, float]  # "layout: field" or "field" -> percent present


def bucket_width(low: int, high: int, buckets: int) -> int:
    """Codes per bucket so that at most ``buckets`` cover low..high.

    >>> bucket_width(1, 100, 10), bucket_width(1, 101, 10), bucket_width(5, 5, 10)
    (10, 11, 1)
    """
    return max(1, -(-(high - low + 1) // buckets))


def coverage(db: sqlite3.Connection, buckets: int = 100) -> Coverage | None:
    low, high = db.execute("SELECT MIN(code), MAX(code) FROM codes").fetchone()
    if low is None:
        return None
    width = bucket_width(low, high, buckets)
    count = (high - low) // width + 1
    ranges = [(low + i * width, min(high, low + (i + 1) * width - 1)) for i in range(count)]
    counts: dict[str, list[int]] = {state.value: [0] * count for state in State}
    for index, state, n in db.execute(
        "SELECT (code - ?) / ?, state, COUNT(*) FROM codes GROUP BY 1, 2", (low, width)
    ):
        # A state this version does not know (a newer ledger) is shown as is.
        counts.setdefault(state, [0] * count)[index] += n
    known = [sum(column) for column in zip(*counts.values(), strict=True)]
    counts[NEVER_ASKED] = [hi - lo + 1 - k for (lo, hi), k in zip(ranges, known, strict=True)]
    return Coverage(ranges, counts)


def stories_per_day_and_source(
    db: sqlite3.Connection, days: int
) -> tuple[dict[str, dict[str, int]], list[tuple[str, int]]]:
    """Current stories per publication day (the last ``days`` days up to the
    newest story) and source, and per source over the whole archive."""
    rows = db.execute(
        "SELECT substr(c.published_at, 1, 10), COALESCE(s.source, '(no source)'), COUNT(*)"
        " FROM codes c LEFT JOIN revisions s ON s.archive_file = c.archive_file"
        " AND s.archive_offset = c.archive_offset"
        " WHERE c.state = 'archived' AND c.published_at IS NOT NULL GROUP BY 1, 2"
    ).fetchall()
    totals: Counter[str] = Counter()
    for _, source, n in rows:
        totals[source] += n
    per_day: dict[str, dict[str, int]] = defaultdict(dict)
    if rows:
        newest = max(day for day, _, _ in rows)
        first = (date.fromisoformat(newest) - timedelta(days=days - 1)).isoformat()
        for day, source, n in rows:
            if day >= first:
                per_day[day][source] = n
    return dict(sorted(per_day.items())), totals.most_common()


def stat_values(summary: Mapping[str, Any], prefix: str) -> dict[str, int]:
    """Counters under ``prefix`` wherever a run summary keeps them: at the top,
    or in a nested mapping (``stats``, ...); a short name's mapping counts too.

    >>> stat_values({"stats": {"archive/layout/A": 3, "x": 1}}, "archive/layout/")
    {'A': 3}
    >>> stat_values({"field_missing": {"lead": 2}}, "archive/field_missing/")
    {'lead': 2}
    >>> stat_values({"archive/layout/B": "2"}, "archive/layout/")
    {}
    """
    found: dict[str, int] = {}
    short = prefix.rstrip("/").rsplit("/", 1)[-1]
    for key, value in summary.items():
        if isinstance(value, int) and not isinstance(value, bool) and key.startswith(prefix):
            found[key[len(prefix) :]] = value
        elif isinstance(value, Mapping):
            if key in (short, f"{short}s"):
                found.update(stat_values({prefix + k: v for k, v in value.items()}, prefix))
            else:
                found.update(stat_values(value, prefix))
    return found


def field_coverage(summaries: Iterable[Mapping[str, Any]]) -> list[FieldCoverage]:
    """Per run with records, the share of them that had each field.

    ``archive/field_missing/<field>`` counts records without the field;
    ``archive/field_missing/<layout>/<field>`` counts them per layout.

    >>> [c.present for c in field_coverage([{"run_id": "r", "new_records": 4,
    ...     "stats": {"archive/layout/A": 4, "archive/field_missing/lead": 1}}])]
    [{'lead': 75.0}]
    >>> field_coverage([{"run_id": "r", "new_records": 3}])
    []
    """
    result = []
    for summary in summaries:
        layouts = stat_values(summary, LAYOUT_PREFIX)
        missing = stat_values(summary, MISSING_PREFIX)
        if not (layouts or missing):
            continue  # a run from before the summaries carried these
        records = sum(layouts.values()) or summary.get("new_records") or 0
        if not isinstance(records, int) or records <= 0:
            continue
        present = {}
        for name, n in sorted(missing.items()):
            layout, _, field_name = name.rpartition("/")
            base = layouts.get(layout, 0) if layout else records
            if base:
                label = f"{layout}: {field_name}" if layout else field_name
                present[label] = round(100.0 * max(0, base - n) / base, 1)
        result.append(
            FieldCoverage(
                str(summary.get("run_id", "?")),
                str(summary.get("started_at", "")),
                layouts,
                present,
            )
        )
    return result


def runs(db: sqlite3.Connection, directory: Path, last: int) -> list[dict[str, Any]]:
    """The last runs, oldest first: the ledger's summaries, and the run files
    of runs the ledger has no summary of (running, or killed)."""
    found: dict[str, dict[str, Any]] = {}
    for path in run_files(directory):
        try:
            summary = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue  # a run file being written, or damaged: the ledger may know it
        if isinstance(summary, dict):
            found[path.stem] = {"run_id": path.stem, **summary}
    for run_id, text in db.execute("SELECT run_id, summary FROM runs"):
        try:
            summary = json.loads(text) if text else {}
        except ValueError:
            summary = {}
        if isinstance(summary, dict):
            found[run_id] = {"run_id": run_id, **summary}
    ordered = sorted(found.values(), key=lambda s: (str(s.get("started_at") or ""), s["run_id"]))
    return ordered[-last:]


def gather(directory: Path, *, days: int = 365, last_runs: int = 200) -> ReportData:
    with ArchiveReader(directory) as reader:
        reader.catch_up()  # sources come from the revision index
        db = reader.db
        states = dict(db.execute("SELECT state, COUNT(*) FROM codes GROUP BY state"))
        per_day, per_source = stories_per_day_and_source(db, days)
        history = runs(db, directory, last_runs)
        return ReportData(
            archive_dir=str(directory),
            states=states,
            coverage=coverage(db),
            per_day=per_day,
            per_source=per_source,
            runs=history,
            field_coverage=field_coverage(history[-30:]),
        )
