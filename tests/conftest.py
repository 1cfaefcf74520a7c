from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.ledger import SQLiteLedger
from tests.archives_reading import build_archive
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


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An archive of every kind of answer (``build_archive``), built once per
    module, for tests that copy it or read it as it is."""
    directory = tmp_path_factory.mktemp("template") / "archive"
    with ReplicaSite() as site:
        build_archive(site, directory)
    yield directory
