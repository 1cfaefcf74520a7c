"""Run the replica site in the foreground for benchmarks and manual use.

    python -m tests.replica --stories 3000 --start-code 400000 --family mixed --pad-to 35000
    python -m tests.replica --layout known --language fa   # every known layout, Persian edition

Prints exactly one line, ``REPLICA http://127.0.0.1:PORT``, then serves until SIGTERM or
SIGINT.
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Iterator, Sequence

from .site import ReplicaSite
from .stories import LAYOUTS, Story, make_story

KNOWN_LAYOUTS = tuple(name for name, family in LAYOUTS.items() if family)

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.replica", description=__doc__)
    parser.add_argument("--stories", type=int, default=100, help="number of stories")
    parser.add_argument("--start-code", type=int, default=400000, help="first story code")
    parser.add_argument("--family", choices=("A", "B", "mixed"), default="mixed")
    parser.add_argument(
        "--layout",
        choices=("mixed", "known", *LAYOUTS),
        default="mixed",
        help='"mixed": the families\' classic templates (--family); "known": every known layout',
    )
    parser.add_argument("--language", choices=("en", "fa"), default="en")
    parser.add_argument("--pad-to", type=int, default=None, help="story page size in bytes")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--gap-every", type=int, default=0, help="skip one code (a 404) after every K stories"
    )
    return parser.parse_args(argv)


def family_of(code: int, family: str) -> str:
    """The CMS family of a code; "mixed" gives about 60 % A and 40 % B, like SITE.md's odds."""
    if family != "mixed":
        return family
    return "A" if code % 5 < 3 else "B"


def layout_of(code: int, layout: str, family: str = "mixed") -> str:
    """The page layout of a code: "mixed" follows ``family_of``, "known" cycles
    through every layout a page object knows, anything else is that layout."""
    if layout == "mixed":
        return "newsstudio-classic" if family_of(code, family) == "A" else "iransamaneh"
    if layout == "known":
        return KNOWN_LAYOUTS[code % len(KNOWN_LAYOUTS)]
    return layout


def codes(count: int, start: int, gap_every: int) -> Iterator[int]:
    """``count`` ascending codes from ``start``, one left out after every ``gap_every``."""
    code = start
    for index in range(count):
        if gap_every and index and index % gap_every == 0:
            code += 1
        yield code
        code += 1


def build_stories(args: argparse.Namespace) -> list[Story]:
    return [
        make_story(code, layout=layout_of(code, args.layout, args.family), language=args.language)
        for code in codes(args.stories, args.start_code, args.gap_every)
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until a stop signal; signals are blocked first so that every server thread
    inherits the mask and only ``sigwait`` here receives them."""
    args = _parse(argv)
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    with ReplicaSite(stories=build_stories(args), pad_to=args.pad_to).start(args.port) as site:
        print(f"REPLICA {site.url}", flush=True)
        signal.sigwait(_STOP_SIGNALS)


if __name__ == "__main__":
    main()
