"""How fast is the whole extraction chain, without the network.

Generates ``--pages`` replica story pages (the four known layouts in turn, as
``python -m tests.replica --layout known`` serves them), each padded to ``--pad-to``
bytes, then times, in CPU seconds (``time.process_time``) per round over ``--rounds``
rounds, each round on fresh ``HtmlResponse`` objects built before the clock starts:

  (a) the whole chain: what the crawl does with a downloaded page before the
      archive's de-duplication and storage, i.e. ``read_answer`` (the charset check,
      the parse, the layout switch, the fields read and cleaned), the
      ``ValidatePipeline`` and the archive line (``LineSerializer``)
  (b) the charset check and the parse, as ``read_page`` does them
  (c) ``read_answer`` alone: (a) without validation and the line
  (d) the generic layer: ``read_answer`` on the same stories in a template no
      layout knows (parse + trafilatura), timed on its own since it never runs for (a)
  (e) with ``--lexbor`` (selectolax installed): the parse as ``read_page`` does it
      against lexbor's, alone and with the lookups of one layout (the classic
      template's ten slots, each element's text), which is what replacing lxml
      would have to beat

The garbage collector runs as it does in a crawl. A round of (a) with the
collector off then counts the objects only the collector would free (a tree kept
alive by a reference cycle, say): "left for the collector", per page.

Each line prints min / median / max over the rounds; the derived lines subtract
medians. Run from the repository root::

    .venv/bin/python -m bench.extract [--pages 3000] [--pad-to 35000] [--rounds 5] [--lexbor]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scrapy.http import HtmlResponse
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.archive.writer import LineSerializer
from crawler.pages import read_answer
from crawler.pages.encoding import check_charset
from crawler.pages.parse import parse_page
from crawler.pipelines.validate import ValidatePipeline
from tests.replica import make_story, render_story
from tests.replica.__main__ import layout_of

BASE_URL = "http://127.0.0.1:8080"
START_CODE = 400000
HEADERS = {"Content-Type": "text/html; charset=utf-8"}
CRAWLED_AT = "2026-11-28T04:00:00Z"


@dataclass(frozen=True)
class Page:
    code: int
    url: str
    body: bytes


@dataclass(frozen=True)
class Spread:
    """Seconds per round over the rounds, for ``pages`` pages a round."""

    label: str
    seconds: Sequence[float]
    pages: int

    def line(self) -> str:
        low, mid, high = (
            min(self.seconds),
            statistics.median(self.seconds),
            max(self.seconds),
        )
        rates = " / ".join(f"{self.pages / s:,.0f}" if s > 0 else "-" for s in (high, mid, low))
        ms = " / ".join(f"{s * 1000 / self.pages:.3f}" for s in (low, mid, high))
        return f"  {self.label:<34} {ms:>23} ms/page  {rates:>20} pages/s"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.extract", description=__doc__)
    parser.add_argument("--pages", type=int, default=3000, help="number of story pages")
    parser.add_argument("--pad-to", type=int, default=35000, help="page size in bytes")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each measurement")
    parser.add_argument(
        "--lexbor", action="store_true", help="also time lexbor (selectolax) against lxml"
    )
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
        pages.append(Page(code, f"{BASE_URL}{story.path}", body))
    return pages


class Chain:
    """The crawl's steps for one downloaded page, up to the archive line."""

    def __init__(self) -> None:
        self.validate = ValidatePipeline(MemoryStatsCollector(get_crawler()), None, 1000)
        self.serialize = LineSerializer()

    def answer(self, page: Page, response: HtmlResponse) -> object:
        return read_answer(
            page.code,
            response,
            redirected=False,
            site_url=BASE_URL,
            language="en",
            crawled_at=CRAWLED_AT,
        )

    def whole(self, page: Page, response: HtmlResponse) -> bytes | None:
        item = self.answer(page, response).item  # type: ignore[attr-defined]
        return None if item is None else self.serialize(self.validate.process_item(item))

    @staticmethod
    def parse(page: Page, response: HtmlResponse) -> object:
        charset = check_charset(response.body, response.encoding)
        return parse_page(response, utf8_body=charset.utf8)


Work = Callable[[Page, HtmlResponse], object]


def fresh_responses(pages: Sequence[Page]) -> list[HtmlResponse | None]:
    return [HtmlResponse(page.url, body=page.body, headers=HEADERS) for page in pages]


def run_round(pages: Sequence[Page], work: Work) -> float:
    """CPU seconds for ``work`` over fresh responses (built before the clock
    starts), the garbage collector running as it does in a crawl."""
    responses = fresh_responses(pages)
    gc.collect()
    start = time.process_time()
    for index, page in enumerate(pages):
        response, responses[index] = responses[index], None
        work(page, response)  # type: ignore[arg-type]
    return time.process_time() - start


def left_for_the_collector(pages: Sequence[Page], work: Work) -> float:
    """Objects a round leaves that only the cyclic garbage collector frees
    (a tree kept alive by a reference cycle, say), per page."""
    responses = fresh_responses(pages)
    gc.collect()
    gc.disable()
    try:
        for index, page in enumerate(pages):
            response, responses[index] = responses[index], None
            work(page, response)  # type: ignore[arg-type]
        del response
        return gc.collect() / len(pages)
    finally:
        gc.enable()


def measure(label: str, pages: Sequence[Page], work: Work, rounds: int) -> Spread:
    return Spread(label, [run_round(pages, work) for _ in range(rounds)], len(pages))


def check_pages(pages: Sequence[Page], chain: Chain) -> int:
    """How many pages give an archive line (a check that the chain ran)."""
    return sum(
        chain.whole(page, HtmlResponse(page.url, body=page.body, headers=HEADERS)) is not None
        for page in pages
    )


def derived(label: str, whole: Spread, part: Spread) -> str:
    seconds = statistics.median(whole.seconds) - statistics.median(part.seconds)
    return f"  {label:<34} {seconds * 1000 / whole.pages:23.3f} ms/page  (medians subtracted)"


# The classic template's slots, as lexbor would have to answer them.
CLASSIC_SLOTS = (
    "#docDiv3TitrMain", "#doctextarea", "#docDocID", "#docDiv3Date", "#docDiv3TitrRou",
    "#docDivLead1", ".doc-section-info a", ".doc_tags1 a", ".doc-image img", "meta",
)  # fmt: skip


def compare_lexbor(pad_to: int, count: int, rounds: int) -> None:
    from selectolax.lexbor import LexborHTMLParser  # optional: not a dependency

    pages = generate_pages(count, pad_to, "newsstudio-classic")

    def lexbor_parse(page: Page, response: HtmlResponse) -> object:
        return LexborHTMLParser(response.body)

    def lexbor_lookups(page: Page, response: HtmlResponse) -> object:
        tree = LexborHTMLParser(response.body)
        return [[node.text() for node in tree.css(css)] for css in CLASSIC_SLOTS]

    print(f"pages: {len(pages)} of the classic template")
    for label, work in [
        ("(e) lxml: charset check + parse", Chain.parse),
        ("    lexbor: parse", lexbor_parse),
        ("    lexbor: parse + 10 slots' text", lexbor_lookups),
    ]:
        print(measure(label, pages, work, rounds).line())


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    chain = Chain()
    pages = generate_pages(args.pages, args.pad_to, args.layout)
    print(f"sanity: {check_pages(pages, chain)}/{len(pages)} pages gave an archive line")
    mean_size = sum(len(page.body) for page in pages) / len(pages)
    print(
        f"pages: {len(pages)}  mean size: {mean_size:,.0f} bytes  {args.rounds} rounds, "
        "CPU time, min / median / max"
    )
    whole = measure("(a) whole chain", pages, chain.whole, args.rounds)
    print(whole.line())
    left = left_for_the_collector(pages, chain.whole)
    print(f"  {'  left for the collector':<34} {left:23.1f} objects/page")
    parse = measure("(b) charset check + parse", pages, chain.parse, args.rounds)
    answer = measure("(c) read_answer", pages, chain.answer, args.rounds)
    for spread in (parse, answer):
        print(spread.line())
    print(derived("(c - b) layout switch + fields", answer, parse))
    print(derived("(a - c) validate + line", whole, answer))

    unknown = generate_pages(max(1, args.pages // 10), args.pad_to, "redesigned-meta")
    print(f"sanity: {check_pages(unknown, chain)}/{len(unknown)} redesigned pages gave a line")
    generic = measure("(d) generic layer", unknown, chain.answer, args.rounds)
    print(f"pages: {len(unknown)} in a template no layout knows")
    print(generic.line())
    if args.lexbor:
        compare_lexbor(args.pad_to, max(1, args.pages // 3), args.rounds)


if __name__ == "__main__":
    main()
