"""``scrapy crawl stories -a codes=406025,406030-406040`` (or ``-a codes_file=F``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request

from crawler.codes import CodeSpecError, parse_codes, parse_codes_file
from crawler.codespider import CodeSpider
from crawler.errors import BadArguments


class StoriesSpider(CodeSpider):
    name = "stories"

    def __init__(
        self, *args: Any, codes: str | None = None, codes_file: str | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        if (codes is None) == (codes_file is None):
            raise BadArguments("give exactly one of -a codes=... or -a codes_file=...")
        try:
            self.codes = parse_codes(codes) if codes is not None else parse_codes_file(codes_file)
        except CodeSpecError as exc:
            raise BadArguments(str(exc)) from exc
        self.run_arguments.update(
            {"codes": codes} if codes is not None else {"codes_file": codes_file}
        )

    async def start(self) -> AsyncIterator[Request]:
        self.attach_run()
        for low, high in self.codes.ranges:
            for request in self.requests_for(low, high):
                yield request
