"""What a run leaves behind: a JSON summary in the archive directory, and a
few lines for the person (or the cron mail) reading the log."""

from __future__ import annotations

from typing import Any

RUNS_DIR = "runs"


def human_summary(summary: dict[str, Any]) -> str:
    """
    >>> print(human_summary({"spider": "stories", "run_id": "r1", "exit_status": 0,
    ...     "exit_meaning": "ok", "codes_asked": 3, "codes_unfinished": 0,
    ...     "counts": {"archived": 2, "not_found": 1, "failed": 0}, "skipped": {},
    ...     "new_records": 2, "revisions": 0, "unchanged": 0, "archive_file": "s.jsonl",
    ...     "failed": []}))
    Run r1 (stories): exit 0, ok
      codes asked 3, unfinished 0
      archived 2, not_found 1
      new records 2 in s.jsonl
    """
    counts = ", ".join(f"{state} {n}" for state, n in summary["counts"].items() if n) or "none"
    lines = [
        f"Run {summary['run_id']} ({summary['spider']}): "
        f"exit {summary['exit_status']}, {summary['exit_meaning']}",
        f"  codes asked {summary['codes_asked']}, unfinished {summary['codes_unfinished']}",
        f"  {counts}",
    ]
    if summary["skipped"]:
        skipped = ", ".join(f"{state} {n}" for state, n in sorted(summary["skipped"].items()))
        lines.append(f"  skipped (already settled): {skipped}")
    records = f"  new records {summary['new_records']}"
    if summary["revisions"]:
        records += f" (revisions {summary['revisions']})"
    if summary["unchanged"]:
        records += f", unchanged {summary['unchanged']}"
    if summary["archive_file"]:
        records += f" in {summary['archive_file']}"
    lines.append(records)
    if summary.get("layout_changed"):
        lines.append("  layout changed: " + "; ".join(summary["layout_changed"]))
        if summary.get("layouts"):
            layouts = ", ".join(f"{name} {n}" for name, n in sorted(summary["layouts"].items()))
            lines.append(f"  pages read per layout: {layouts}")
        for kind, codes in sorted(summary.get("samples", {}).items()):
            if kind != "code_conflict":
                lines.append(f"  {kind}, e.g. codes {', '.join(map(str, codes))}")
    if conflicts := summary.get("samples", {}).get("code_conflict"):
        lines.append(
            "  pages that name another story's code (kept as their URL's story), e.g. codes "
            + ", ".join(map(str, conflicts))
        )
    return "\n".join(lines)
