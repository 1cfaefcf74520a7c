"""Story URLs: the code in a path, and URLs as the archive keeps them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

NEWS_PATH_CODE = re.compile(r"/news/(\d{1,12})(?:[/?#]|$)")


def code_in_url(url: str) -> int | None:
    """The story code a URL's path names, if any.

    >>> code_in_url("https://x.test/en/news/406025/some-slug?x=1")
    406025
    >>> code_in_url("https://x.test/en") is None
    True
    """
    match = NEWS_PATH_CODE.search(urlsplit(url).path + "/")
    return int(match.group(1)) if match else None


def without_query(url: str) -> str:
    """The archive's ``url`` never carries a query string or a fragment.

    >>> without_query("https://x.test/en/news/1/a-b?utm=1#top")
    'https://x.test/en/news/1/a-b'
    """
    scheme, netloc, path, _, _ = urlsplit(url)
    return urlunsplit((scheme, netloc, path, "", ""))
