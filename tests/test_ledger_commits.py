"""A crawl holds its ledger writes and commits them once per fsync tick: other
readers see them at the tick, and a kill before it loses no record, because
the next start adopts the lines the lost rows pointed at."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from crawler.archive.store import ArchiveStore
from crawler.ledger import ArchivedLine, SQLiteLedger, State


def line(code: int) -> ArchivedLine:
    return ArchivedLine(
        code, f"{code:064x}", "stories-run.jsonl", code * 10, code * 10 + 10, None, 1
    )


def seen_by_another_reader(path: Path) -> set[int]:
    with sqlite3.connect(path) as other:
        return {code for (code,) in other.execute("SELECT code FROM codes")}


def test_held_writes_reach_other_readers_at_the_commit(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = SQLiteLedger(path)
    try:
        ledger.hold_commits(3600)
        ledger.record_archived(line(1))
        ledger.record(2, State.NOT_FOUND, detail="HTTP 404")
        # The writer reads its own held rows; nobody else does yet.
        assert ledger.get(2) is not None and ledger.get(2).state is State.NOT_FOUND
        assert seen_by_another_reader(path) == set()
        ledger.commit()
        assert seen_by_another_reader(path) == {1, 2}
        ledger.record(3, State.FAILED, detail="timeout")
    finally:
        ledger.close()
    assert seen_by_another_reader(path) == {1, 2, 3}


def test_without_holding_each_write_is_committed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = SQLiteLedger(path)
    try:
        ledger.record(7, State.NOT_FOUND, detail="HTTP 404")
        assert seen_by_another_reader(path) == {7}
        ledger.hold_commits(0)
        ledger.record_archived(line(8))
        assert seen_by_another_reader(path) == {7, 8}
    finally:
        ledger.close()


KILLED_WHILE_HOLDING = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from crawler.archive.store import ArchiveStore
    from crawler.items import StoryItem, content_sha256

    store = ArchiveStore(Path(sys.argv[1]), "run-killed")
    store.ledger.hold_commits(3600)
    for code in (101, 102, 103):
        sha = content_sha256(f"T{code}", None, "B")
        item = StoryItem(story_code=code, title=f"T{code}", body="B", content_sha256=sha)
        store.append(item, code, sha, None, 1)
    print("written", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_kill_before_the_commit_loses_no_record(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    result = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_HOLDING, str(archive)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert result.stdout == "written\n"
    assert seen_by_another_reader(archive / SQLiteLedger.FILENAME) == set()

    store = ArchiveStore(archive, "run-after")
    try:
        assert store.repair_report.adopted == 3
        for code in (101, 102, 103):
            state = store.ledger.get(code)
            assert state is not None and state.state is State.ARCHIVED
    finally:
        assert store.close() is None
