"""The check every test that writes an archive ends with: the ledger and the
files agree (through the same verifier `scrapy archive-verify` runs)."""

from __future__ import annotations

from pathlib import Path

from crawler.archive.verify import verify
from crawler.ledger import SQLiteLedger


def assert_ledger_matches_archive(archive_dir: Path) -> None:
    ledger = SQLiteLedger.in_directory(archive_dir)
    try:
        report = verify(archive_dir, ledger)
    finally:
        ledger.close()
    assert report.ok, "\n".join(map(str, report.problems))
