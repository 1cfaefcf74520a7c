"""Checking the WARC files end to end: every record's ``WARC-Block-Digest``
and ``WARC-Payload-Digest`` (with warcio's own checker, as ``warcio check``
does), every revisit's original present (or lost with a WARC file that a
repair found gone), and every archived code's capture (a ``metadata`` record
naming it, pointing at a response, or a revisit of one, that is there)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.warc.members import members
from crawler.warc.reader import warc_files
from crawler.warc.records import parse_metadata_fields

READ_SIZE = 1 << 20


@dataclass
class WarcScan:
    """What the WARC files hold, as far as verification asks."""

    problems: list[str] = field(default_factory=list)
    responses: set[str] = field(default_factory=set)  # response record ids
    originals: dict[str, str] = field(default_factory=dict)  # revisit id -> its original
    captured: dict[int, list[str]] = field(default_factory=dict)  # code -> its responses
    # Per file, where its first unsound record starts (a digest that does not
    # match, or a member that does not decompress): a repair cuts it there.
    damaged: dict[str, int] = field(default_factory=dict)

    def sound(self) -> set[str]:
        """The records that hold a payload: responses, and revisits whose
        original is at hand."""
        return self.responses | {r for r, o in self.originals.items() if o in self.responses}

    def uncaptured(self, codes: Iterable[int]) -> list[int]:
        """The codes no sound record captures."""
        sound = self.sound()
        return [c for c in codes if not any(rid in sound for rid in self.captured.get(c, []))]


def scan_warc(archive_dir: Path, lost: Collection[str] = frozenset()) -> WarcScan:
    """Read every WARC file, checking each record's digests. ``lost`` are
    the records of WARC files a repair found gone (``index.lost_records``):
    a revisit that refers to one of them is no longer a problem, though it
    captures nothing."""
    scan = WarcScan()
    for path in warc_files(archive_dir):
        try:
            _check_file(path, scan)
        except ArchiveLoadFailed as exc:
            scan.problems.append(f"{path.name}: unreadable past a point: {str(exc).strip()}")
            whole = max((end for _, end, _ in members(path)), default=0)
            scan.damaged[path.name] = min(scan.damaged.get(path.name, whole), whole)
    for revisit, original in scan.originals.items():
        if original not in scan.responses and original not in lost:
            scan.problems.append(f"revisit {revisit}: refers to {original}, which no file holds")
    return scan


def verify_warc(
    archive_dir: Path, archived_codes: Iterable[int] = (), lost: Collection[str] = frozenset()
) -> list[str]:
    """Problems found, one line each; an empty list means clean.
    ``archived_codes`` are the codes the ledger calls archived (and not
    awaiting a new capture)."""
    scan = scan_warc(archive_dir, lost)
    return scan.problems + [uncaptured_problem(code) for code in scan.uncaptured(archived_codes)]


def uncaptured_problem(code: int) -> str:
    return f"story {code}: archived, but no WARC response record captures it"


def _check_file(path: Path, scan: WarcScan) -> None:
    with path.open("rb") as handle:
        iterator = ArchiveIterator(handle, check_digests=True)
        for record in iterator:
            # The stored bytes, never decoded: digests are over what was
            # stored, and a decompression bomb stays a few kilobytes here.
            stream = record.raw_stream
            body = stream.read() if record.rec_type == "metadata" else b""
            while stream.read(READ_SIZE):
                pass
            headers = record.rec_headers
            rid = headers.get_header("WARC-Record-ID")
            if record.digest_checker.passed is False:
                where = f"{path.name}@{iterator.get_record_offset()}"
                scan.problems.extend(f"{where}: {rid}: {p}" for p in record.digest_checker.problems)
                scan.damaged.setdefault(path.name, iterator.get_record_offset())
                continue  # it captures nothing
            if record.rec_type == "response":
                scan.responses.add(rid)
            if record.rec_type == "revisit":
                scan.originals[rid] = headers.get_header("WARC-Refers-To") or "(nothing)"
            if record.rec_type == "metadata":
                # Any outcome counts: a page not understood at crawl time and
                # archived by a re-extraction is captured all the same, under
                # its own code or under the code that redirected to it.
                fields = parse_metadata_fields(body)
                responses = [v for name, v in headers.headers if name == "WARC-Concurrent-To"]
                for key in ("story-code", "ref-code"):
                    if fields.get(key, "").isdigit():
                        scan.captured.setdefault(int(fields[key]), []).extend(responses)
