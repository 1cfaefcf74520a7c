"""What the archive commands share: finding the archive directory, and a
command line read strictly (Scrapy's own parsing ignores unknown options)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand

from crawler.checks import check_command_line, refuse
from crawler.errors import BadArguments
from crawler.ledger import SQLiteLedger


class ArchiveCommand(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}
    # How many positional arguments the command takes; more is an error.
    positional_arguments: ClassVar[int] = 0

    @classmethod
    def command_name(cls) -> str:
        """The name Scrapy gives the command: its module's."""
        return cls.__module__.rsplit(".", 1)[-1]

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--dir", metavar="DIR", help="archive directory (default: the ARCHIVE_DIR setting)"
        )
        parser.add_argument("--json", action="store_true", help="print JSON for machines")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        # `archive-verify --repiar` must not run a plain verify and exit 0.
        try:
            check_command_line(self.command_name(), args, self.positional_arguments)
        except BadArguments as exc:
            refuse(self.command_name(), str(exc))

    def archive_dir(self, opts: argparse.Namespace) -> Path:
        assert self.settings is not None
        directory = Path(opts.dir or self.settings.get("ARCHIVE_DIR"))
        if not (directory / SQLiteLedger.FILENAME).exists():
            refuse(self.command_name(), f"no archive in {directory} (no {SQLiteLedger.FILENAME})")
        return directory
