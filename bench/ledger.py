"""Ledger look-ups cost the same whatever its size: time ``get`` and
``states_between`` on ledgers of 10 up to millions of codes.

Run from the repository root: ``.venv/bin/python -m bench.ledger [--sizes 10,100000,3000000]``
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from crawler.ledger import SQLiteLedger, State

LOOKUPS = 20_000


def fill(ledger: SQLiteLedger, size: int) -> None:
    """Bulk-load ``size`` codes (every third one not found) in one transaction."""
    rows = (
        (code, "archived" if code % 3 else "not_found", "2026-11-28T00:00:00Z")
        for code in range(1, size + 1)
    )
    db = ledger._db  # a benchmark may load directly; the crawler never does
    db.execute("BEGIN")
    db.executemany("INSERT INTO codes (code, state, updated_at) VALUES (?, ?, ?)", rows)
    db.execute("COMMIT")


def measure(size: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        ledger = SQLiteLedger(Path(tmp) / "ledger.sqlite3")
        fill(ledger, size)
        codes = [random.randint(1, size) for _ in range(LOOKUPS)]
        start = time.perf_counter()
        for code in codes:
            state = ledger.get(code)
            assert state is not None and state.state in (State.ARCHIVED, State.NOT_FOUND)
        per_get = (time.perf_counter() - start) / LOOKUPS
        start = time.perf_counter()
        chunks = 0
        for code in codes[:2000]:
            ledger.states_between(code, code + 999)
            chunks += 1
        per_chunk = (time.perf_counter() - start) / chunks
        ledger.close()
    return per_get, per_chunk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100000,3000000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    print(f"{'codes in ledger':>16}  {'get()':>10}  {'1000-code chunk':>16}")
    for size in sizes:
        per_get, per_chunk = measure(size)
        print(f"{size:>16,}  {per_get * 1e6:>8.1f}us  {per_chunk * 1e3:>14.2f}ms")


if __name__ == "__main__":
    main()
