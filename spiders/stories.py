"""``scrapy crawl stories -a codes=406025,406030-406040`` (or ``-a codes_file=F``,
or ``-a codes=failed`` for every code an earlier run could not settle)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request

from crawler.codes import CodeSet, CodeSpecError, parse_codes, parse_codes_file
from crawler.codespider import LOOKUP_CHUNK, CodeSpider
from crawler.errors import BadArguments
from crawler.ledger import ASKED_AGAIN

# `-a codes=failed`: the codes whose last answer said nothing about the story.
RETRY_ALL = "failed"


class StoriesSpider(CodeSpider):
    name = "stories"
    arguments = ("codes", "codes_file", "refresh")  # -a NAME=VALUE; others are refused

    def __init__(
        self, *args: Any, codes: str | None = None, codes_file: str | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.codes: CodeSet | None = None
        try:
            if codes is not None and codes_file is None:
                if codes.strip() != RETRY_ALL:
                    self.codes = parse_codes(codes)
                self.run_arguments["codes"] = codes
            elif codes_file is not None and codes is None:
                self.codes = parse_codes_file(codes_file)
                self.run_arguments["codes_file"] = codes_file
            else:
                raise BadArguments("give exactly one of -a codes=... or -a codes_file=...")
        except CodeSpecError as exc:
            raise BadArguments(str(exc)) from exc

    @CodeSpider.storage_guarded
    async def start(self) -> AsyncIterator[Request]:
        self.attach_run()
        if self.codes is None:
            async for request in self.retries():
                yield request
            return
        self.run.expect(len(self.codes))
        for low, high in self.codes.ranges:
            async for request in self.lazily(low, high):
                yield request

    async def retries(self) -> AsyncIterator[Request]:
        """Every failed, blocked or unrecognized code, page by page in code order."""
        after = 0
        while codes := self.run.ledger.codes_in_states(
            ASKED_AGAIN, after=after, limit=LOOKUP_CHUNK
        ):
            for code in codes:
                async for request in self.lazily(code, code):
                    yield request
            after = codes[-1]
