"""The kill loop: a long crawl killed with SIGKILL at random moments, re-run
each time with the same command, then checked. Shared by the test and by
``bench/kill_loop.py``, which prints the figures quoted in the README."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from crawler.ledger import SETTLED, SQLiteLedger
from tests.crawling import archive_records, start_cli
from tests.replica import ReplicaSite, make_story


@dataclass
class KillLoopReport:
    codes: int
    stories: int
    kills: int = 0
    kill_delays: list[float] = field(default_factory=list)
    final_exit_status: int | None = None
    archived: int = 0
    lost: list[int] = field(default_factory=list)  # stories never archived
    duplicates: list[int] = field(default_factory=list)  # stories archived twice
    refetched_settled: list[int] = field(default_factory=list)
    torn_moved_aside: int = 0
    requests: int = 0

    def lines(self) -> list[str]:
        return [
            f"codes {self.codes}, stories {self.stories}, kills survived {self.kills}",
            f"kill moments (s after start): {', '.join(f'{d:.2f}' for d in self.kill_delays)}",
            f"final run exit status {self.final_exit_status}",
            f"archived {self.archived}, records lost {len(self.lost)}, "
            f"duplicates {len(self.duplicates)}",
            f"settled codes fetched again {len(self.refetched_settled)}, "
            f"torn lines moved aside {self.torn_moved_aside}, story requests {self.requests}",
        ]


def settled_codes(archive_dir: Path) -> set[int]:
    if not (archive_dir / SQLiteLedger.FILENAME).exists():
        return set()
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        low, high = ledger.code_range()
        if low is None or high is None:
            return set()
        states = ledger.states_between(low, high)
    finally:
        ledger.close()
    return {code for code, state in states.items() if state.state in SETTLED}


def run_kill_loop(
    site: ReplicaSite,
    archive_dir: Path,
    *,
    first_code: int = 300000,
    count: int = 3000,
    kills: int = 5,
    seed: int = 2026,
    settings: dict | None = None,
) -> KillLoopReport:
    rng = random.Random(seed)
    codes = range(first_code, first_code + count)
    stories = [make_story(code) for code in codes if code % 10]  # gaps, as on the site
    site.add_stories(stories)
    spec = f"{codes[0]}-{codes[-1]}"
    report = KillLoopReport(codes=count, stories=len(stories))
    for _ in range(kills):
        before = settled_codes(archive_dir)
        counts_before = {code: site.story_requests(code) for code in codes}
        run = start_cli("stories", site.url, archive_dir, settings=settings, codes=spec)
        delay = rng.uniform(0.2, 3.0)
        time.sleep(delay)
        if run.poll() is not None:
            break  # finished before the kill: nothing left to interrupt
        run.send_signal(signal.SIGKILL)
        run.communicate()
        report.kills += 1
        report.kill_delays.append(delay)
        report.refetched_settled += [
            code for code in before if site.story_requests(code) > counts_before[code]
        ]
    final = start_cli("stories", site.url, archive_dir, settings=settings, codes=spec)
    final.communicate(timeout=600)
    report.final_exit_status = final.returncode

    archived = Counter(record["story_code"] for record in archive_records(archive_dir))
    report.archived = len(archived)
    report.lost = sorted({s.code for s in stories} - archived.keys())
    report.duplicates = sorted(code for code, n in archived.items() if n > 1)
    torn = archive_dir / "torn"
    report.torn_moved_aside = len(list(torn.iterdir())) if torn.exists() else 0
    report.requests = sum(site.story_requests(code) for code in codes)
    return report
