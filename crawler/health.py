"""``scrapy archive-status --check``: one line and an exit status for monitoring.

The monitoring-plugin convention (Nagios, Icinga, Zabbix agents, ...): exit 0
OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, and a line such as
``ARCHIVE WARNING - 130 failed or blocked codes (over 100); ... | perfdata``.

What is CRITICAL is what needs a person and will not mend itself: no new
story for ``ARCHIVE_CHECK_MAX_SILENCE``, or a last run that exited 1 (a bug),
2 (a wrong command line), 7 (the archive cannot be written) or 8 (the site's
layout changed). What is a WARNING may pass on its own or gives time to act:
a last run killed or exited 3 (too many failures), 4 (site unreachable) or 5
(interrupted) -- the next run retries, and if it cannot, the silence becomes
CRITICAL -- failed or blocked codes (the ones a retry may still archive)
over ``ARCHIVE_CHECK_MAX_FAILED``, free disk space
under ``ARCHIVE_CHECK_MIN_FREE``.
"""

from __future__ import annotations

import enum
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

from crawler.archive.lock import lock_is_held
from crawler.errors import StorageError
from crawler.ledger import SQLiteLedger
from crawler.runs import KILLED, RUNNING, read_runs
from crawler.units import Size, describe_seconds, parse_duration, parse_size


class Status(enum.IntEnum):
    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


# The last run's exit status -> what it means for the archive's health.
CRITICAL_EXITS = frozenset({1, 2, 7, 8})
WARNING_EXITS = frozenset({3, 4, 5})


@dataclass(frozen=True)
class Thresholds:
    max_silence: float = 86400.0  # seconds; 0: never CRITICAL for silence
    max_failed: int = 100
    min_free: Size = field(default_factory=lambda: Size(5, percent=True))

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Thresholds:
        return cls(
            max_silence=parse_duration(
                settings.get("ARCHIVE_CHECK_MAX_SILENCE", "24h"), "ARCHIVE_CHECK_MAX_SILENCE"
            ),
            max_failed=settings.getint("ARCHIVE_CHECK_MAX_FAILED", 100),
            min_free=parse_size(
                settings.get("ARCHIVE_CHECK_MIN_FREE", "5%"), "ARCHIVE_CHECK_MIN_FREE"
            ),
        )


@dataclass
class Facts:
    """What the check looks at, read from the archive directory."""

    newest_code: int | None = None
    newest_published_at: str | None = None
    failed_codes: int = 0
    last_run: dict[str, Any] | None = None
    last_run_alive: bool | None = None  # for a "running" last run: does it hold the lock?
    disk_free: int = 0
    disk_total: int = 0


@dataclass
class CheckResult:
    status: Status
    problems: list[str] = field(default_factory=list)  # worst first
    facts: list[str] = field(default_factory=list)
    perfdata: list[str] = field(default_factory=list)

    def line(self) -> str:
        """
        >>> CheckResult(Status.WARNING, ["2 failed"], ["newest story 5"], ["failed=2;1"]).line()
        'ARCHIVE WARNING - 2 failed; newest story 5 | failed=2;1'
        """
        text = f"ARCHIVE {self.status.name} - " + "; ".join(self.problems + self.facts)
        if self.perfdata:
            text += " | " + " ".join(self.perfdata)
        return text


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ago(then: str, now: datetime) -> float:
    return max(0.0, (now - _parse_time(then)).total_seconds())


def judge(facts: Facts, limits: Thresholds, now: datetime) -> CheckResult:
    """The status the facts deserve (pure: everything it needs is given).

    >>> now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    >>> run = {"run_id": "r1", "spider": "latest", "status": "finished", "exit_status": 0,
    ...        "finished_at": "2026-11-28T11:00:00Z"}
    >>> facts = Facts(406025, "2026-11-28T13:30:00+03:30", 0, run, None, 50, 100)
    >>> print(judge(facts, Thresholds(), now).line())  # doctest: +NORMALIZE_WHITESPACE
    ARCHIVE OK - last run r1 (latest) exit 0, 1h ago; newest story 406025 published 2h ago;
    0 failed or blocked codes; 50.0% disk free | silence=7200s;;86400 failed=0;100 free=50.0%;5:
    >>> facts.last_run = {**run, "exit_status": 8, "exit_meaning": "layout changed"}
    >>> facts.newest_published_at = "2026-11-26T13:30:00+03:30"
    >>> print(judge(facts, Thresholds(), now).line())  # doctest: +ELLIPSIS
    ARCHIVE CRITICAL - last run r1 (latest) exited 8 (layout changed); no new story for 2d 2h ...
    """
    result = CheckResult(Status.OK)
    problems: list[tuple[Status, str]] = []

    def problem(status: Status, text: str) -> None:
        problems.append((status, text))

    _judge_last_run(facts, now, problem, result.facts)

    if facts.newest_published_at is None:
        if limits.max_silence:
            problem(Status.CRITICAL, "no story archived yet")
    else:
        silence = _ago(facts.newest_published_at, now)
        limit = f"{limits.max_silence:.0f}" if limits.max_silence else ""
        result.perfdata.append(f"silence={silence:.0f}s;;{limit}")
        if limits.max_silence and silence > limits.max_silence:
            problem(
                Status.CRITICAL,
                f"no new story for {describe_seconds(silence)} (newest {facts.newest_code})",
            )
        else:
            result.facts.append(
                f"newest story {facts.newest_code} published {describe_seconds(silence)} ago"
            )

    result.perfdata.append(f"failed={facts.failed_codes};{limits.max_failed}")
    if facts.failed_codes > limits.max_failed:
        problem(
            Status.WARNING,
            f"{facts.failed_codes} failed or blocked codes (over {limits.max_failed})",
        )
    else:
        result.facts.append(f"{facts.failed_codes} failed or blocked codes")

    if facts.disk_total:
        share = 100.0 * facts.disk_free / facts.disk_total
        wanted = limits.min_free.of(facts.disk_total)
        if limits.min_free.percent:
            result.perfdata.append(f"free={share:.1f}%;{limits.min_free.amount:g}:")
        else:
            result.perfdata.append(f"free={facts.disk_free}B;{wanted:.0f}:")
        if facts.disk_free < wanted:
            problem(
                Status.WARNING,
                f"disk nearly full: {_bytes(facts.disk_free)} free ({share:.1f}%)",
            )
        else:
            result.facts.append(f"{share:.1f}% disk free")
    # The worst first: the start of the line is what a pager shows.
    problems.sort(key=lambda pair: -pair[0])
    result.problems = [text for _, text in problems]
    result.status = max((status for status, _ in problems), default=Status.OK)
    return result


def _judge_last_run(
    facts: Facts, now: datetime, problem: Callable[[Status, str], None], notes: list[str]
) -> None:
    run = facts.last_run
    if run is None:
        problem(Status.UNKNOWN, "no run recorded yet")
        return
    name = f"last run {run['run_id']} ({run.get('spider')})"
    status = run.get("status")
    if status == "unreadable":
        problem(Status.UNKNOWN, f"{name}: its run file cannot be read ({run.get('error')})")
    elif status == RUNNING and facts.last_run_alive is not False:
        notes.append(f"{name} running since {describe_seconds(_ago(run['started_at'], now))}")
    elif status in (RUNNING, KILLED):
        problem(Status.WARNING, f"{name} never finished (killed)")
    else:
        code = run.get("exit_status")
        meaning = run.get("exit_meaning") or "unknown"
        when = (
            f"{describe_seconds(_ago(run['finished_at'], now))} ago"
            if run.get("finished_at")
            else ""
        )
        if code == 0:
            notes.insert(0, f"{name} exit 0, {when}")
        elif code in CRITICAL_EXITS:
            problem(Status.CRITICAL, f"{name} exited {code} ({meaning})")
        else:
            problem(Status.WARNING, f"{name} exited {code} ({meaning})")


def _bytes(n: float) -> str:
    """
    >>> _bytes(3 * 1024**3), _bytes(512)
    ('3.0 GiB', '512 B')
    """
    for unit, size in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def gather(directory: Path) -> Facts:
    """Read the facts; raises if the archive cannot be read."""
    ledger_path = directory / SQLiteLedger.FILENAME
    if not ledger_path.is_file():
        raise FileNotFoundError(f"no archive in {directory} (no {SQLiteLedger.FILENAME})")
    ledger = SQLiteLedger.in_directory(directory, read_only=True)
    try:
        newest = ledger.newest_story()
        counts = ledger.counts()
        # A site that blocks a share of requests leaves them as unarchived as errors do.
        failed = counts.get("failed", 0) + counts.get("blocked", 0)
        ledger_last_run = ledger.last_run()
    finally:
        ledger.close()
    runs = read_runs(directory, last=1)
    last_run = runs[-1] if runs else ledger_last_run
    if last_run is not None:
        last_run.setdefault("status", "finished")
    alive = None
    if last_run is not None and last_run.get("status") == RUNNING:
        alive = lock_is_held(directory)
    disk = shutil.disk_usage(directory)
    return Facts(
        newest_code=newest.code if newest else None,
        newest_published_at=newest.published_at if newest else None,
        failed_codes=failed,
        last_run=last_run,
        last_run_alive=alive,
        disk_free=disk.free,
        disk_total=disk.total,
    )


def check_archive(directory: Path, limits: Thresholds, now: datetime | None = None) -> CheckResult:
    try:
        facts = gather(directory)
    except (OSError, sqlite3.Error, ValueError, StorageError) as exc:
        return CheckResult(Status.UNKNOWN, [f"cannot read the archive in {directory}: {exc}"])
    return judge(facts, limits, now or datetime.now(UTC))


def run_check(settings: BaseSettings, directory: str | None) -> Status:
    """What ``archive-status --check`` does: print one line, return the status.
    A threshold setting that does not parse is UNKNOWN, as plugins have it."""
    path = Path(directory or settings.get("ARCHIVE_DIR"))
    try:
        limits = Thresholds.from_settings(settings)
    except ValueError as exc:
        result = CheckResult(Status.UNKNOWN, [str(exc)])
    else:
        result = check_archive(path, limits)
    print(result.line())
    return result.status
