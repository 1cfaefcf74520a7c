from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.ledger import SQLiteLedger
from tests.replica import ReplicaSite
from tests.verifying import assert_ledger_matches_archive


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that talks to the replica site is end to end: ``pytest -m
    "not e2e"`` is the quick run of components alone."""
    for item in items:
        if "replica" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def replica() -> Iterator[ReplicaSite]:
    with ReplicaSite() as site:
        yield site


@pytest.fixture
def archive_dir(tmp_path: Path) -> Iterator[Path]:
    """An archive directory that must end every test with its ledger and its
    files in agreement, whatever the test did to it."""
    directory = tmp_path / "archive"
    yield directory
    if (directory / SQLiteLedger.FILENAME).exists():
        assert_ledger_matches_archive(directory)
