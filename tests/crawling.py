"""Running real crawls from tests: in-process through Scrapy's CrawlerProcess
(in a fresh interpreter each time, since a Twisted reactor cannot be
restarted), or through the ``scrapy crawl`` command line."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRAPY = [sys.executable, "-m", "scrapy.cmdline"]

# Fast and deterministic against the replica; politeness is tested on its own.
TEST_SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "RETRY_BACKOFF_BASE": 0.05,
    "RETRY_BACKOFF_MAX": 0.5,
    "DOWNLOAD_TIMEOUT": 5,
    "ARCHIVE_FSYNC_INTERVAL": 0.5,
    "LOG_LEVEL": "INFO",
}


@dataclass
class CrawlResult:
    exit_status: int
    archive_dir: Path
    stats: dict[str, Any] = field(default_factory=dict)
    log: str = ""

    def records(self) -> list[dict[str, Any]]:
        return archive_records(self.archive_dir)

    def summary(self) -> dict[str, Any]:
        runs = sorted((self.archive_dir / "runs").glob("*.json"))
        return json.loads(runs[-1].read_text("utf-8"))

    def stat(self, key: str) -> Any:
        return self.stats.get(key, 0)


def archive_records(archive_dir: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(archive_dir.glob("stories-*.jsonl")):
        for line in path.read_bytes().splitlines(keepends=True):
            assert line.endswith(b"\n"), f"torn line in {path.name}"
            records.append(json.loads(line))
    return records


def _settings(site_url: str, archive_dir: Path, extra: dict[str, Any] | None) -> dict[str, Any]:
    return {**TEST_SETTINGS, "SITE_URL": site_url, "ARCHIVE_DIR": str(archive_dir), **(extra or {})}


def _crawl_child(spider: str, settings: dict[str, Any], args: dict[str, str], out: Any) -> None:
    os.environ["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.errors import RunError
    from crawler.extensions.run import ArchiveRun

    project = get_project_settings()
    project.setdict(settings, priority="cmdline")
    process = CrawlerProcess(project)
    crawler = process.create_crawler(spider)
    errors: list[BaseException] = []
    process.crawl(crawler, **args).addErrback(lambda f: errors.append(f.value))
    process.start()
    if errors:
        error = errors[0]
        status = error.exit_code if isinstance(error, RunError) else 1
        out.put({"exit_status": int(status), "stats": {}, "log": str(error)})
        return
    run = crawler.get_extension(ArchiveRun)
    assert run is not None and run.exit_status is not None, "the story spiders run an ArchiveRun"
    stats = {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, int | float | str)}
    out.put({"exit_status": int(run.exit_status), "stats": stats, "log": ""})


def crawl(
    spider: str,
    site_url: str,
    archive_dir: Path,
    *,
    settings: dict[str, Any] | None = None,
    timeout: float = 120,
    **args: str,
) -> CrawlResult:
    """A crawl through Scrapy's CrawlerProcess API, in a fresh interpreter."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(
        target=_crawl_child, args=(spider, _settings(site_url, archive_dir, settings), args, out)
    )
    child.start()
    try:
        result = out.get(timeout=timeout)
    finally:
        child.join(timeout=10)
        out.close()
        out.join_thread()
    return CrawlResult(result["exit_status"], archive_dir, result["stats"], result["log"])


def cli_command(
    spider: str, site_url: str, archive_dir: Path, settings: dict[str, Any] | None, args: dict
) -> list[str]:
    command = [*SCRAPY, "crawl", spider]
    for key, value in _settings(site_url, archive_dir, settings).items():
        command += ["-s", f"{key}={value}"]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    return command


def start_cli(
    spider: str,
    site_url: str,
    archive_dir: Path,
    *,
    settings: dict[str, Any] | None = None,
    extra: list[str] = (),  # type: ignore[assignment]
    **args: str,
) -> subprocess.Popen[str]:
    """``scrapy crawl`` as a user runs it, in the background (for signal tests)."""
    return subprocess.Popen(
        [*cli_command(spider, site_url, archive_dir, settings, args), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def crawl_cli(
    spider: str,
    site_url: str,
    archive_dir: Path,
    *,
    settings: dict[str, Any] | None = None,
    extra: list[str] = (),  # type: ignore[assignment]
    timeout: float = 120,
    **args: str,
) -> CrawlResult:
    """``scrapy crawl`` through the command line; the exit status is the process's."""
    process = start_cli(spider, site_url, archive_dir, settings=settings, extra=extra, **args)
    log, _ = process.communicate(timeout=timeout)
    return CrawlResult(process.returncode, archive_dir, {}, log)


def scrapy_command(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SCRAPY, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def wait_for(predicate: Any, timeout: float = 30.0) -> None:
    """Poll until ``predicate()`` holds: a guard against a hang, not a measure."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)
