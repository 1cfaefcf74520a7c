"""The exit status a finished run owes cron: a pure decision over its counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.errors import ExitCode

EXPLANATIONS = {
    ExitCode.OK: "the run did what it was asked",
    ExitCode.ERROR: "unexpected error",
    ExitCode.USAGE: "bad arguments or settings",
    ExitCode.FAILURES: "too many codes failed or were blocked",
    ExitCode.UNREACHABLE: "the site is unreachable or blocking us",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.LOCKED: "another run holds the archive lock",
    ExitCode.STORAGE: "the archive could not be written",
    ExitCode.LAYOUT_CHANGED: "the site's layout changed: some pages were not understood",
}


@dataclass
class RunOutcome:
    finish_reason: str | None
    interrupted: bool = False
    storage_error: str | None = None
    outcomes: dict[str, int] = field(default_factory=dict)  # state -> codes settled this run
    asked: int = 0  # codes this run set out to settle
    answered: int = 0  # responses that show the site serving us: 2xx, 3xx, 404, 410
    listings_failed: int = 0  # home page or feed requests that got no page
    failed_max_ratio: float = 0.0
    layout_changes: list[str] = field(default_factory=list)  # see run.layout_evidence


def decide_exit_status(run: RunOutcome) -> ExitCode:
    """
    >>> decide_exit_status(RunOutcome("finished", outcomes={"archived": 3}, asked=3, answered=3))
    <ExitCode.OK: 0>
    >>> decide_exit_status(RunOutcome("shutdown", outcomes={"archived": 1}, asked=3, answered=1))
    <ExitCode.INTERRUPTED: 5>
    >>> decide_exit_status(RunOutcome("finished", outcomes={"failed": 2}, asked=2, answered=0))
    <ExitCode.UNREACHABLE: 4>
    >>> decide_exit_status(RunOutcome("finished", outcomes={"blocked": 2}, asked=2, answered=1))
    <ExitCode.UNREACHABLE: 4>
    >>> decide_exit_status(RunOutcome("finished", listings_failed=2))
    <ExitCode.UNREACHABLE: 4>
    >>> decide_exit_status(RunOutcome("finished", outcomes={"failed": 1}, asked=1, answered=1))
    <ExitCode.FAILURES: 3>
    >>> decide_exit_status(RunOutcome("finished", outcomes={"failed": 1, "archived": 9}, asked=10,
    ...                               answered=10, failed_max_ratio=0.05))
    <ExitCode.FAILURES: 3>
    >>> decide_exit_status(RunOutcome("finished", outcomes={"failed": 1, "archived": 9}, asked=10,
    ...                               answered=10, failed_max_ratio=0.1))
    <ExitCode.OK: 0>

    A blocked code (a bot challenge among stories) counts as a failed one:

    >>> decide_exit_status(RunOutcome("finished", outcomes={"blocked": 1, "archived": 9},
    ...                               asked=10, answered=10))
    <ExitCode.FAILURES: 3>

    Pages the extractor did not understand outrank failures: they say why.

    >>> decide_exit_status(RunOutcome("finished", outcomes={"unrecognized": 2, "failed": 1},
    ...     asked=3, answered=3, layout_changes=["2 page(s) unrecognized"]))
    <ExitCode.LAYOUT_CHANGED: 8>
    >>> decide_exit_status(RunOutcome("site_unreachable", outcomes={"failed": 1}, asked=5))
    <ExitCode.UNREACHABLE: 4>
    """
    if run.storage_error:
        return ExitCode.STORAGE
    if run.interrupted or run.finish_reason == "shutdown":
        return ExitCode.INTERRUPTED
    if run.finish_reason == "site_unreachable":
        return ExitCode.UNREACHABLE
    if run.finish_reason not in ("finished", None):
        return ExitCode.ERROR
    failed = run.outcomes.get("failed", 0)
    blocked = run.outcomes.get("blocked", 0)
    settled = sum(run.outcomes.values())
    if not settled and run.listings_failed and not run.answered:
        return ExitCode.UNREACHABLE
    if settled and blocked == settled:
        return ExitCode.UNREACHABLE
    if settled and failed + blocked == settled and run.answered == 0:
        return ExitCode.UNREACHABLE
    if run.layout_changes:
        return ExitCode.LAYOUT_CHANGED
    # A code blocked (a bot challenge, a maintenance notice, robots.txt) was
    # not archived any more than a failed one: the run says so.
    if run.asked and (failed + blocked) / run.asked > run.failed_max_ratio:
        return ExitCode.FAILURES
    return ExitCode.OK
