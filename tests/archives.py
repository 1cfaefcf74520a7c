"""Archives built without a crawl, the way a run writes them: each record
appended by ArchiveWriter, then recorded in the ledger with its line's place."""

from __future__ import annotations

from pathlib import Path

from crawler.archive.writer import ArchiveWriter
from crawler.items import StoryItem, content_sha256
from crawler.ledger import ArchivedLine, SQLiteLedger


def story(
    code: int, *, revision: int = 1, previous: str | None = None, words: int = 40
) -> StoryItem:
    title = f"Story {code} revision {revision}"
    lead = f"The lead of story {code}."
    body = "\n\n".join(f"Paragraph {n} of story {code}, " + "word " * words for n in range(3))
    return StoryItem(
        story_code=code,
        url=f"https://example.org/en/news/{code}/story-{code}",
        title=title,
        lead=lead,
        body=body,
        published_at="2024-01-14T09:41:00+03:30",
        crawled_at="2026-11-28T00:00:00Z",
        content_sha256=content_sha256(title, lead, body),
        revision=revision,
        previous_sha256=previous,
    )


def write_run(directory: Path, run_id: str, items: list[StoryItem]) -> Path:
    """One run's archive file, every line recorded in the ledger."""
    directory.mkdir(parents=True, exist_ok=True)
    writer = ArchiveWriter(directory, run_id)
    ledger = SQLiteLedger.in_directory(directory)
    try:
        for item in items:
            offset, end, crc = writer.append(item)
            assert item.story_code is not None and item.content_sha256 is not None
            ledger.record_archived(
                ArchivedLine(
                    code=item.story_code,
                    sha256=item.content_sha256,
                    archive_file=writer.name,
                    offset=offset,
                    end=end,
                    published_at=item.published_at,
                    revision=item.revision,
                    line_crc32=crc,
                )
            )
    finally:
        writer.close()
        ledger.close()
    return writer.path


def archived_codes(directory: Path) -> set[int]:
    ledger = SQLiteLedger.in_directory(directory)
    try:
        return {state.code for state in ledger.archived()}
    finally:
        ledger.close()
