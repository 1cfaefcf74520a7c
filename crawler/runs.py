"""``runs/<run_id>.json``: one file per run, written when the run starts
(status ``running``) and replaced by its summary when it ends (``finished``).

A file still ``running`` when the next run holds the lock belongs to a run
that died without finishing (kill -9, out of memory, a reboot): that next run
marks it ``killed``, so a monitoring check and ``scrapy archive-runs`` can say
so. Every write is atomic (temporary file, fsync, rename, fsync of the
directory): a reader never sees half a file, even after a power cut.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from crawler.archive.lock import lock_is_held
from crawler.clean.dates import utc_now_iso
from crawler.ledger import Ledger
from crawler.logs import start_line

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

RUNS_DIR = "runs"
RUNNING = "running"
FINISHED = "finished"
KILLED = "killed"


def run_file(directory: Path, run_id: str) -> Path:
    return directory / RUNS_DIR / f"{run_id}.json"


def write_json_atomically(path: Path, data: Mapping[str, Any]) -> None:
    """The whole file or the previous one, never a mix, even across a reboot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    payload = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, path)
    # The rename itself lives in the directory: without this a reboot can
    # bring back the old file (or none).
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def jsonable_stats(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Scrapy's stats as JSON can hold them: times as ISO 8601, the rest as text.

    >>> jsonable_stats({"a/b": 3, "t": datetime(2026, 1, 2, 3, 4, 5), "x": None, "o": {1}})
    {'a/b': 3, 'o': '{1}', 't': '2026-01-02T03:04:05', 'x': None}
    """
    result: dict[str, Any] = {}
    for key, value in sorted(stats.items()):
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif not isinstance(value, int | float | str | bool | type(None)):
            value = str(value)
        result[key] = value
    return result


def start_run_file(
    directory: Path, run_id: str, spider: str | None, arguments: Mapping[str, Any], started_at: str
) -> Path:
    """The run exists from its first moment: if it dies, the next run says so."""
    path = run_file(directory, run_id)
    write_json_atomically(
        path,
        {
            "run_id": run_id,
            "spider": spider,
            "arguments": dict(arguments),
            "started_at": started_at,
            "status": RUNNING,
            "pid": os.getpid(),
        },
    )
    return path


def finish_run_file(
    directory: Path,
    run_id: str,
    summary: Mapping[str, Any],
    stats: Mapping[str, Any] | None = None,
) -> Path:
    """Replace the ``running`` file with the run's summary (and Scrapy's stats,
    which no longer go to the log)."""
    record = {**summary, "run_id": run_id, "status": FINISHED}
    if stats is not None:
        record["stats"] = jsonable_stats(stats)
    path = run_file(directory, run_id)
    write_json_atomically(path, record)
    return path


def read_run(path: Path) -> dict[str, Any]:
    """One run file; files written before runs had a status are finished runs."""
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    data.setdefault("run_id", path.stem)
    data.setdefault("status", FINISHED if "exit_status" in data else RUNNING)
    return data


# A run id: its UTC start (to the microsecond since 0.2.0) and random bits.
RUN_ID = re.compile(r"\d{8}T\d{6}(?:\.\d{6})?Z-[0-9a-f]{6}")


def is_run_id(name: str) -> bool:
    """Whether ``name`` is a run id, not some other file someone left in runs/.

    >>> [is_run_id(n) for n in ("20261128T040232.000005Z-a4c85b", "20261128T040232Z-0f0f0f")]
    [True, True]
    >>> [is_run_id(n) for n in ("notes", "20261128T040232Z-a4c85b.bak", "zz-last")]
    [False, False, False]
    """
    return RUN_ID.fullmatch(name) is not None


def run_files(directory: Path) -> list[Path]:
    """Oldest first: run ids sort by start time. Other files in runs/ (notes,
    backups, a copy) are not runs."""
    paths = (directory / RUNS_DIR).glob("*.json")
    return sorted(path for path in paths if is_run_id(path.stem))


def _read_or_mark(path: Path) -> dict[str, Any]:
    """A file that cannot be parsed is ``unreadable``, not skipped: a
    monitoring check must not mistake it for a clean run."""
    try:
        return read_run(path)
    except (OSError, ValueError) as exc:
        return {"run_id": path.stem, "status": "unreadable", "error": str(exc)}


def as_seen_now(run: dict[str, Any], directory: Path) -> dict[str, Any]:
    """A run file as a reader should show it: one still ``running`` while no
    process holds the archive lock died without finishing (the next run marks
    it ``killed``; until then only the kernel's lock table can tell)."""
    if run.get("status") == RUNNING and lock_is_held(directory) is False:
        return {**run, "status": KILLED}
    return run


def read_runs(directory: Path, last: int | None = None) -> list[dict[str, Any]]:
    """The archive's runs, oldest first; only the ``last`` ones if given (years
    of hourly runs are thousands of files: only those are read)."""
    paths = run_files(directory)
    if last is not None:
        paths = paths[-last:] if last else []
    return [_read_or_mark(path) for path in paths]


def mark_killed_runs(
    directory: Path, current_run_id: str, ledger: Ledger | None = None
) -> list[str]:
    """Mark every ``running`` run but the current one ``killed``.

    Call it only while holding the archive lock: then no other run can be
    going on, so a run still ``running`` never finished. Its ledger row (if a
    ledger is given) is written too, for readers of the ledger's runs table.

    Every run calls this before writing its own file, so runs older than the
    newest file that is not ``running`` were all dealt with already: the scan
    goes from the newest file back to that one, not through years of files.
    """
    killed: list[tuple[str, dict[str, Any]]] = []
    for path in reversed(run_files(directory)):
        run = _read_or_mark(path)
        if run["run_id"] == current_run_id:
            continue
        if run["status"] != RUNNING:
            break
        record = {
            **run,
            "status": KILLED,
            "finished_at": None,
            "exit_status": None,
            "exit_meaning": "killed: the run never finished (noticed by the next run)",
            "killed_noticed_at": utc_now_iso(),
            "killed_noticed_by": current_run_id,
        }
        write_json_atomically(run_file(directory, run["run_id"]), record)
        killed.append((run["run_id"], record))
    killed.reverse()
    if ledger is not None:
        # Oldest first: the ledger's last run is the last one recorded.
        for run_id, record in killed:
            ledger.record_run(run_id, record)
    names = [run_id for run_id, _ in killed]
    if names:
        logger.warning("Marked killed (never finished): run %s", ", ".join(names))
    return names


class _Run(Protocol):
    run_id: str
    started_at: str
    directory: Path
    arguments: dict[str, Any]
    crawler: Crawler

    @property
    def ledger(self) -> Ledger: ...


def begin_run(run: _Run, site: str) -> None:
    """What a run does once its arguments are known: log its start line, mark
    runs that died ``killed``, write its own ``running`` file."""
    spider = run.crawler.spider.name if run.crawler.spider else None
    logger.info(start_line(run.run_id, spider, run.arguments, run.directory, site))
    mark_killed_runs(run.directory, run.run_id, run.ledger)
    start_run_file(run.directory, run.run_id, spider, run.arguments, run.started_at)
