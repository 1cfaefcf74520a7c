"""What the archive commands share: a command line read strictly (Scrapy's own
parsing ignores unknown options), finding the archive directory, and one line
and a documented exit status for every way the archive can be unusable."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any, ClassVar, NoReturn

from scrapy.commands import ScrapyCommand
from scrapy.utils.project import get_project_settings

from crawler.archive.lock import LockHeld, cannot_write
from crawler.archive.writer import ARCHIVE_GLOB
from crawler.checks import check_command_line, check_settings, refuse
from crawler.errors import BadArguments, ExitCode, StorageError
from crawler.ledger import SQLiteLedger


class NoArchive(Exception):
    """The directory holds no archive: no ledger and no archive file."""


class ArchiveCommand(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}
    # How many positional arguments the command takes; more is an error.
    positional_arguments: ClassVar[int] = 0
    # Whether the command runs a crawl, whose components must then load.
    crawls: ClassVar[bool] = False

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
            if opts.dir is not None and not opts.dir.strip():
                # Not the ARCHIVE_DIR setting, nor the current directory.
                raise BadArguments("--dir is empty: give the archive directory")
        except BadArguments as exc:
            refuse(self.command_name(), str(exc))
        # The crawl's own checks: `-s ARCHIVE_DIRR=x` must not read the
        # default archive as if nothing had been mistyped.
        assert self.settings is not None
        try:
            check_settings(self.settings, get_project_settings(), components=self.crawls)
        except BadArguments as exc:
            self.refuse_settings(opts, str(exc))

    def refuse_settings(self, opts: argparse.Namespace, message: str) -> NoReturn:
        """Stop on a setting that does not pass the checks (exit status 2)."""
        refuse(self.command_name(), message)

    def archive_dir(self, opts: argparse.Namespace) -> Path:
        assert self.settings is not None
        directory = Path(opts.dir or self.settings.get("ARCHIVE_DIR"))
        if not directory.is_dir():
            raise NoArchive(f"no archive in {directory} (no such directory)")
        if not (directory / SQLiteLedger.FILENAME).exists() and not any(
            directory.glob(ARCHIVE_GLOB)
        ):
            raise NoArchive(f"no archive in {directory} (no ledger, no archive file)")
        return directory

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            self.exitcode = int(self.run_archive(args, opts))
        except NoArchive as exc:
            self.fail(str(exc), ExitCode.USAGE)
        except LockHeld as exc:
            self.fail(str(exc), ExitCode.LOCKED)
        except StorageError as exc:
            self.fail(str(exc), ExitCode.STORAGE)
        except OSError as exc:
            writer = self.writer(opts)
            if writer and cannot_write(exc):
                self.fail(
                    f"{writer} writes the archive, which cannot be written here"
                    f" ({exc.strerror}: {exc.filename})",
                    ExitCode.STORAGE,
                )
            else:
                self.fail(f"cannot read the archive: {exc}", ExitCode.STORAGE)
        except sqlite3.Error as exc:
            self.fail(f"cannot read the archive: {exc}", ExitCode.STORAGE)

    def writer(self, opts: argparse.Namespace) -> str | None:
        """What of the command writes the archive (``--repair``), named in the
        line that says it cannot; None when it only reads, and so needs no
        write access."""
        return None

    def fail(self, message: str, status: ExitCode) -> None:
        print(f"scrapy {self.command_name()}: {message}", file=sys.stderr)
        self.exitcode = int(status)

    def run_archive(self, args: list[str], opts: argparse.Namespace) -> int:
        raise NotImplementedError
