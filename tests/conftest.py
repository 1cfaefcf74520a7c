from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.replica import ReplicaSite


@pytest.fixture
def replica() -> Iterator[ReplicaSite]:
    with ReplicaSite() as site:
        yield site


@pytest.fixture
def archive_dir(tmp_path: Path) -> Path:
    return tmp_path / "archive"
