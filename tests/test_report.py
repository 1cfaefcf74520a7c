"""``scrapy archive-report``: the HTML file opened in a real browser (Debian's
headless Chromium), offline, with its charts drawn."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from crawler.ledger import SQLiteLedger
from tests.archives_reading import build_archive
from tests.crawling import scrapy_command
from tests.replica import ReplicaSite

ARCHIVED_GREEN = (0x2E, 0x7D, 0x32)  # crawler.report.html.STATE_COLOURS["archived"]
CHARTS = 6  # coverage, per day, per source, field coverage, layouts, runs


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "the report test needs Debian's chromium (apt-get install chromium)"
    return found


def browse(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with everything that could reach a network off."""
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            # Scripts run to completion before the page is captured.
            "--virtual-time-budget=15000",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("report")
    directory = base / "archive"
    with ReplicaSite() as site:
        build_archive(site, directory)
    # A run summary as runs record them from Scrapy's stats: records per
    # page layout and missing fields (per layout or overall).
    ledger = SQLiteLedger.in_directory(directory)
    try:
        ledger.record_run(
            "20261128T230000.000000Z-abcdef",
            {
                "run_id": "20261128T230000.000000Z-abcdef",
                "spider": "latest",
                "started_at": "2026-11-28T23:00:00Z",
                "finished_at": "2026-11-28T23:00:09Z",
                "exit_status": 8,
                "exit_meaning": "the site's page layout changed",
                "new_records": 20,
                "stats": {
                    "archive/layout/family_a": 12,
                    "archive/layout/family_b": 8,
                    "archive/field_missing/family_b/lead": 8,
                    "archive/field_missing/source": 3,
                },
            },
        )
    finally:
        ledger.close()
    target = base / "report.html"
    done = scrapy_command("archive-report", "--dir", str(directory), "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"report written to {target}")
    yield target


def test_the_report_loads_nothing_from_outside(report: Path) -> None:
    text = report.read_text("utf-8")
    assert "plotly.js" in text  # inlined
    assert not re.search(r"""<(script|link|img|iframe)[^>]*(src|href)=["']?(https?:)?//""", text)
    assert text.count('class="plotly-graph-div"') == CHARTS


def test_the_browser_draws_every_chart(report: Path, tmp_path: Path) -> None:
    dom = browse(report, tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr
    # plotly marks a div once it has drawn the chart into it, as SVG.
    assert dom.stdout.count("js-plotly-plot") >= CHARTS
    assert dom.stdout.count('class="main-svg"') >= CHARTS
    for legend in ("archived", "not_found", "redirected", "exit 0", "exit 8", "family_b: lead"):
        assert f">{legend}<" in dom.stdout, legend


def test_the_screenshot_shows_the_charts(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    done = browse(report, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,4200")
    assert done.returncode == 0, done.stderr
    image = Image.open(shot).convert("RGB")
    colours = {colour: n for n, colour in image.getcolors(maxcolors=1 << 24) or []}
    total = image.width * image.height
    assert total - colours.get((255, 255, 255), 0) > total // 20  # not a blank page
    # The coverage chart's bars, in the archived state's colour.
    assert colours.get(ARCHIVED_GREEN, 0) > 10_000


def test_without_an_archive_it_says_so(tmp_path: Path) -> None:
    done = scrapy_command("archive-report", "--dir", str(tmp_path), "-o", str(tmp_path / "r.html"))
    assert done.returncode == 2
    assert "no archive in" in done.stderr
