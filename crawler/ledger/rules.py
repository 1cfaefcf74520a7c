"""What a code becomes: the one place that decides.

Every component that learns something about a code (the spider from a response
or a failure, the pipelines from a record) describes what it saw as an
:class:`Observation`; :func:`transition` decides, from that and what the ledger
and this run already know, what the ledger records, whether a line is written,
and what the run counts. :func:`due` decides whether a code is asked at all.
Both are pure, so every rule is a doctest here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from crawler.ledger.base import CodeState, State

# Asked again by every run that covers them: nothing about the story is known.
ASKED_AGAIN = frozenset({State.FAILED, State.BLOCKED, State.UNRECOGNIZED})
# Never requested again unless a refresh asks for them.
SETTLED = frozenset({State.ARCHIVED, State.REDIRECTED, State.DUPLICATE})
# The detail of an archived code whose WARC capture was lost (a WARC file
# deleted or cut short): it keeps its record, and is asked again so that the
# page is captured again.
CAPTURE_LOST = "capture lost"


class Verdict(enum.StrEnum):
    """What the run counts for one observation."""

    NEW = "new"  # a first record for the code: revision 1
    REVISION = "revision"  # an archived story whose content changed
    UNCHANGED = "unchanged"  # an archived story fetched again, same content
    REPEAT = "repeat"  # this run already settled the code: nothing more to do
    DUPLICATE_CONTENT = "duplicate_content"  # another code holds this content
    NOT_REVISED = "not_revised"  # the generic layer's reading of an archived story
    OUTCOME = "outcome"  # anything but a record: not found, failed, blocked, ...


@dataclass(frozen=True)
class Observation:
    """What one answer (or failure) showed about a code. ``state`` is
    ARCHIVED for a story record, with its ``sha256``."""

    state: State
    sha256: str | None = None
    detail: str | None = None
    ref_code: int | None = None
    generic: bool = False  # the record came from the generic layer, not a layout


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    counted_as: State | None  # the run's outcome for the code; None: counted already
    record: State | None = None  # what the ledger records; None: it keeps what it has
    write_line: bool = False
    revision: int = 1
    previous_sha256: str | None = None
    ref_code: int | None = None


def transition(
    seen: Observation,
    current: CodeState | None,
    *,
    settled_this_run: bool,
    archived_this_run: bool,
    holder_of_content: int | None,
    code: int,
) -> Decision:
    """Decide what an observation does to a code.

    >>> archived = CodeState(7, State.ARCHIVED, "t", sha256="aa", revision=1)
    >>> story = lambda sha: Observation(State.ARCHIVED, sha256=sha)
    >>> def verdict(seen, current=None, *, settled=False, archived=False, holder=None, code=7):
    ...     d = transition(seen, current, settled_this_run=settled, archived_this_run=archived,
    ...                    holder_of_content=holder, code=code)
    ...     return d.verdict.value, d.record and d.record.value, d.write_line, d.revision

    A first record, a changed one, an unchanged one:

    >>> verdict(story("cc"), None, code=9)
    ('new', 'archived', True, 1)
    >>> verdict(story("bb"), archived)
    ('revision', 'archived', True, 2)
    >>> verdict(story("aa"), archived, holder=7)
    ('unchanged', None, False, 1)

    The generic layer is a fallback for pages no layout knows: its reading of
    a story a layout archived is never a revision (the page's template
    changed, not the story; the run says so with exit 8):

    >>> verdict(Observation(State.ARCHIVED, sha256="bb", generic=True), archived)
    ('not_revised', None, False, 1)

    A story reached twice in one run (a redirect and its own code) is written
    once, and the second time is neither "unchanged" nor counted again:

    >>> verdict(story("aa"), archived, settled=True, archived=True, holder=7)
    ('repeat', None, False, 1)

    Content another code already holds is a duplicate, never a second line; an
    archived code keeps its record:

    >>> verdict(story("aa"), None, code=8, holder=7)
    ('duplicate_content', 'duplicate', False, 1)
    >>> verdict(story("dd"), archived, holder=3)
    ('duplicate_content', None, False, 1)

    A failure, a block or a page not understood never unarchives a story:

    >>> verdict(Observation(State.FAILED, detail="timeout"), archived)
    ('outcome', None, False, 1)
    >>> verdict(Observation(State.UNRECOGNIZED, detail="no title"), None)
    ('outcome', 'unrecognized', False, 1)

    A code this run settled already is not counted twice:

    >>> verdict(Observation(State.NOT_FOUND), None, settled=True)
    ('repeat', None, False, 1)
    """
    if seen.state is not State.ARCHIVED:
        if settled_this_run:
            return Decision(Verdict.REPEAT, None)
        keeps_story = current is not None and current.state is State.ARCHIVED
        return Decision(
            Verdict.OUTCOME,
            seen.state,
            record=None if keeps_story else seen.state,
            ref_code=seen.ref_code,
        )
    if archived_this_run:
        return Decision(Verdict.REPEAT, None)
    counted = None if settled_this_run else State.ARCHIVED
    is_archived = current is not None and current.state is State.ARCHIVED
    if is_archived and current is not None and current.sha256 == seen.sha256:
        return Decision(Verdict.UNCHANGED, counted)
    if is_archived and seen.generic:
        return Decision(Verdict.NOT_REVISED, counted)
    if holder_of_content is not None and holder_of_content != code:
        return Decision(
            Verdict.DUPLICATE_CONTENT,
            None if settled_this_run else State.DUPLICATE,
            record=None if is_archived else State.DUPLICATE,
            ref_code=holder_of_content,
        )
    if is_archived and current is not None:
        return Decision(
            Verdict.REVISION,
            counted,
            record=State.ARCHIVED,
            write_line=True,
            revision=(current.revision or 1) + 1,
            previous_sha256=current.sha256,
        )
    return Decision(Verdict.NEW, counted, record=State.ARCHIVED, write_line=True)


@dataclass(frozen=True)
class AskPolicy:
    """When settled codes are asked again."""

    not_found_age: timedelta
    refresh: timedelta | None = None  # archived stories published this recently
    listed: bool = False  # the site itself links the code: positive evidence
    # Codes above this (the highest story known when the run began) are probes
    # for stories not yet published when they were last checked.
    probe_above: int | None = None


def due(state: CodeState | None, now: datetime, policy: AskPolicy) -> bool:
    """Whether a code with this ledger state is asked now.

    >>> from datetime import UTC
    >>> now = datetime(2026, 11, 28, tzinfo=UTC)
    >>> week = AskPolicy(timedelta(days=7))
    >>> nf = lambda stamp: CodeState(1, State.NOT_FOUND, stamp)
    >>> due(None, now, week), due(CodeState(1, State.FAILED, "x"), now, week)
    (True, True)
    >>> due(nf("2026-11-27T00:00:00Z"), now, week), due(nf("2026-11-01T00:00:00Z"), now, week)
    (False, True)

    A stamp in the future (a clock that was ahead) cannot be trusted: the code
    is asked, and its new stamp is a true one.

    >>> due(nf("2027-06-01T00:00:00Z"), now, week)
    True

    A code the site links is asked even when it was not found lately (the
    story may be new); archived stories only in a refresh window:

    >>> due(nf("2026-11-27T00:00:00Z"), now, AskPolicy(timedelta(days=7), listed=True))
    True

    Above the highest story known, a code not found lately may simply not
    have been published yet: probing asks it again. Below it, a gap stays
    settled until the recheck age.

    >>> probe = AskPolicy(timedelta(days=7), probe_above=0)
    >>> due(nf("2026-11-27T00:00:00Z"), now, probe)
    True
    >>> story = CodeState(1, State.ARCHIVED, "x", published_at="2026-11-25T10:00:00+03:30")
    >>> due(story, now, week), due(story, now, AskPolicy(timedelta(7), timedelta(days=7)))
    (False, True)

    An archived story whose capture was lost is asked again, to capture it:

    >>> due(CodeState(1, State.ARCHIVED, "x", detail=CAPTURE_LOST), now, week)
    True
    """
    if state is None or state.state in ASKED_AGAIN:
        return True
    if state.state is State.ARCHIVED and state.detail == CAPTURE_LOST:
        return True
    if state.state in SETTLED:
        if policy.refresh is None or state.state is not State.ARCHIVED:
            return False
        if not state.published_at:
            return False
        return now - datetime.fromisoformat(state.published_at) <= policy.refresh
    if policy.listed or (policy.probe_above is not None and state.code > policy.probe_above):
        return True
    checked = datetime.fromisoformat(state.updated_at.replace("Z", "+00:00"))
    if checked > now:
        return True
    return now - checked >= policy.not_found_age
