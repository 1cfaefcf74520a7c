"""A stats collector that also writes the final stats to a JSON file, so that a crawl
run in another process can report Scrapy's own ``elapsed_time_seconds``.

Enable with ``-s STATS_CLASS=bench.stats.JsonFileStatsCollector -s BENCH_STATS_FILE=PATH``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy.statscollectors import MemoryStatsCollector


def _plain(value: Any) -> Any:
    """JSON-friendly: numbers, strings and booleans kept, anything else as text."""
    return value if isinstance(value, int | float | str | bool) else str(value)


class JsonFileStatsCollector(MemoryStatsCollector):
    def _persist_stats(self, stats: dict[str, Any]) -> None:
        super()._persist_stats(stats)
        path = self._crawler.settings.get("BENCH_STATS_FILE")
        if path:
            plain = {key: _plain(value) for key, value in stats.items()}
            Path(path).write_text(json.dumps(plain, indent=1, sort_keys=True), "utf-8")
