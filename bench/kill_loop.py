"""The kill loop, with its figures printed (the README's Reliability section).

A crawl of ``--codes`` story codes is killed with SIGKILL ``--kills`` times at
random moments and re-run each time with the same command; then every story
must be archived exactly once, with no torn line and a clean verifier.

Run from the repository root: ``.venv/bin/python -m bench.kill_loop``
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from crawler.archive.verify import verify
from crawler.ledger import SQLiteLedger
from tests.killloop import run_kill_loop
from tests.replica import ReplicaSite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=3000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ReplicaSite() as site:
        archive_dir = Path(tmp) / "archive"
        report = run_kill_loop(
            site, archive_dir, count=options.codes, kills=options.kills, seed=options.seed
        )
        ledger = SQLiteLedger.in_directory(archive_dir)
        try:
            verification = verify(archive_dir, ledger)
        finally:
            ledger.close()
    for line in report.lines():
        print(line)
    print(f"verifier: {'clean' if verification.ok else verification.problems}")


if __name__ == "__main__":
    main()
