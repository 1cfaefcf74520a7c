"""The check every test that writes an archive ends with: the ledger and the
files agree (through the same verifier `scrapy archive-verify` runs: sound
lines whose hashes match their fields, revisions that chain, a ledger that
passes SQLite's integrity check and points at exactly the files' lines)."""

from __future__ import annotations

from pathlib import Path

from crawler.archive.verify import verify_directory


def assert_ledger_matches_archive(archive_dir: Path) -> None:
    report = verify_directory(archive_dir)
    assert report.ok, "\n".join(map(str, report.problems))
