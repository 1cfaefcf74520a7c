"""How fast is extraction alone, without the network: parse + ``read_page``.

Generates ``--pages`` replica story pages (the four known layouts in turn, as
``python -m tests.replica --layout known`` serves them), each padded to ``--pad-to``
bytes, builds ``HtmlResponse`` objects for them up front, then times with
``time.perf_counter`` (best of ``--rounds`` rounds):

  (a) parse + extract: ``read_page(response, ...)`` on pages of the known layouts
  (b) parse only:      ``response.selector`` (parsel decodes the body and builds the lxml tree)
  (d) the generic layer: ``read_page`` on the same stories in a template no layout
      knows (parse + trafilatura), timed on its own since it never runs for (a)

parsel caches the parsed tree on the response, so every round and every measurement
gets its own fresh responses. Extraction alone costs (a) - (b).

A Scrapy response and its selector form a reference cycle, so parsed trees are freed by
the cyclic garbage collector, not when a response is dropped. The collector is off
while the clock runs and a ``gc.collect()`` after each round frees the round's trees;
that is timed on its own and printed as (c) (best round of (b)), so (a) and (b) both
exclude it.

Run from the repository root::

    .venv/bin/python -m bench.extract [--pages 3000] [--pad-to 35000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scrapy.http import HtmlResponse

from crawler.pages import read_page
from tests.replica import make_story, render_story
from tests.replica.__main__ import layout_of

BASE_URL = "http://127.0.0.1:8080"
START_CODE = 400000
HEADERS = {"Content-Type": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Page:
    url: str
    body: bytes


@dataclass(frozen=True)
class Timing:
    label: str
    seconds: float
    pages: int

    @property
    def ms_per_page(self) -> float:
        return self.seconds * 1000 / self.pages

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.extract", description=__doc__)
    parser.add_argument("--pages", type=int, default=3000, help="number of story pages")
    parser.add_argument("--pad-to", type=int, default=35000, help="page size in bytes")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many rounds")
    parser.add_argument(
        "--layout",
        default="known",
        help='"known" (every known layout in turn), "mixed" (the two classic templates, '
        "as before layouts were added) or one layout's name",
    )
    return parser.parse_args(argv)


def generate_pages(count: int, pad_to: int, layout: str = "known") -> list[Page]:
    """Story pages as the replica serves them (absolute links, mixed layouts)."""
    pages = []
    for code in range(START_CODE, START_CODE + count):
        story = make_story(code, layout=layout_of(code, layout))
        body = render_story(story, pad_to=pad_to, base_url=BASE_URL)
        pages.append(Page(f"{BASE_URL}{story.path}", body))
    return pages


def fresh_responses(pages: Sequence[Page]) -> list[HtmlResponse | None]:
    """New responses (no cached selector), built before the clock starts."""
    return [HtmlResponse(page.url, body=page.body, headers=HEADERS) for page in pages]


def parse_only(response: HtmlResponse) -> object:
    return response.selector


def parse_and_extract(response: HtmlResponse) -> object:
    return read_page(response, language="en", crawled_at="2026-11-28T04:00:00Z")


def time_once(pages: Sequence[Page], work: Callable[[HtmlResponse], object]) -> tuple[float, float]:
    """Seconds for ``work`` over fresh responses, and seconds to free them afterwards."""
    responses = fresh_responses(pages)
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for index, response in enumerate(responses):
            responses[index] = None
            work(response)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    del response
    start = time.perf_counter()
    gc.collect()
    return elapsed, time.perf_counter() - start


def best_of(
    label: str, pages: Sequence[Page], work: Callable[[HtmlResponse], object], rounds: int
) -> tuple[Timing, Timing]:
    """The best round's work time, and the time that round took to free its responses."""
    work_seconds, free_seconds = min(time_once(pages, work) for _ in range(rounds))
    return Timing(label, work_seconds, len(pages)), Timing("", free_seconds, len(pages))


def check_pages(pages: Sequence[Page]) -> int:
    """How many pages give a story with a code, a title and a body (a check that
    extraction ran)."""
    found = 0
    for page in pages:
        response = HtmlResponse(page.url, body=page.body, headers=HEADERS)
        item = read_page(response, language="en", crawled_at="2026-11-28T04:00:00Z").item
        found += item is not None and None not in (item.story_code, item.title, item.body)
    return found


def report(pages: Sequence[Page], timings: Sequence[Timing], rounds: int) -> None:
    mean_size = sum(len(page.body) for page in pages) / len(pages)
    print(f"pages: {len(pages)}  mean size: {mean_size:,.0f} bytes  best of {rounds} rounds")
    for timing in timings:
        print(
            f"  {timing.label:<24} {timing.pages_per_second:8.1f} pages/s "
            f"{timing.ms_per_page:8.3f} ms/page"
        )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    pages = generate_pages(args.pages, args.pad_to, args.layout)
    print(f"sanity: {check_pages(pages)}/{len(pages)} pages gave a code, title and body")
    full, _ = best_of("(a) parse + extract", pages, parse_and_extract, args.rounds)
    parse, free = best_of("(b) lxml parse only", pages, parse_only, args.rounds)
    extract = Timing("(a - b) extract only", full.seconds - parse.seconds, len(pages))
    freeing = Timing("(c) free trees (gc)", free.seconds, len(pages))
    report(pages, [full, parse, extract, freeing], args.rounds)
    unknown = generate_pages(max(1, args.pages // 10), args.pad_to, "redesigned-meta")
    print(f"sanity: {check_pages(unknown)}/{len(unknown)} redesigned pages gave a story")
    generic, _ = best_of("(d) parse + generic layer", unknown, parse_and_extract, args.rounds)
    report(unknown, [generic], args.rounds)


if __name__ == "__main__":
    main()
