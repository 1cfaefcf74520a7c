"""What the archive commands share: finding the archive directory."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.ledger import SQLiteLedger


class ArchiveCommand(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--dir", metavar="DIR", help="archive directory (default: the ARCHIVE_DIR setting)"
        )
        parser.add_argument("--json", action="store_true", help="print JSON for machines")

    def archive_dir(self, opts: argparse.Namespace) -> Path:
        assert self.settings is not None
        directory = Path(opts.dir or self.settings.get("ARCHIVE_DIR"))
        if not (directory / SQLiteLedger.FILENAME).exists():
            raise UsageError(f"no archive in {directory} (no {SQLiteLedger.FILENAME})")
        return directory
