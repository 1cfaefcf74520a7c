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
    arguments = ("codes", "codes_file", "refresh")  # -a NAME=VALUE; others are refused

    def __init__(
        self, *args: Any, codes: str | None = None, codes_file: str | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        try:
            if codes is not None and codes_file is None:
                self.codes = parse_codes(codes)
                self.run_arguments["codes"] = codes
            elif codes_file is not None and codes is None:
                self.codes = parse_codes_file(codes_file)
                self.run_arguments["codes_file"] = codes_file
            else:
                raise BadArguments("give exactly one of -a codes=... or -a codes_file=...")
        except CodeSpecError as exc:
            raise BadArguments(str(exc)) from exc

    async def start(self) -> AsyncIterator[Request]:
        self.attach_run()
        for low, high in self.codes.ranges:
            for request in self.requests_for(low, high):
                yield request
