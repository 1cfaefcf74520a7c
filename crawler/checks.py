"""Settings and arguments checked before a run starts.

A value Scrapy or a component would choke on half-way through start-up (a
``ValueError`` deep in ``from_crawler``, an import error for a mistyped
component) is caught here instead, and stops the run before any request with
one line that names the setting or argument, and exit status 2.

Every checked setting is in ``CHECKED_SETTINGS`` (setting -> parser); a parser
takes the raw value, returns it parsed and raises ``ValueError`` with the reason.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.settings import BaseSettings
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.misc import load_object

from crawler.errors import BadArguments, ExitCode
from crawler.items import StoryItem
from crawler.pages.layouts import load_layouts
from crawler.units import parse_duration, parse_size

Parser = Callable[[Any], Any]


def number(value: Any) -> float:
    """A real number, as ``settings.getfloat`` reads it.

    >>> number("0.25")
    0.25
    >>> number("abc")
    Traceback (most recent call last):
    ...
    ValueError: 'abc' is not a number
    >>> number("inf")
    Traceback (most recent call last):
    ...
    ValueError: 'inf' is not a finite number
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if parsed != parsed:  # NaN compares false with every bound below
        raise ValueError(f"{value!r} is not a number")
    if parsed in (float("inf"), float("-inf")):  # would overflow what it is used in
        raise ValueError(f"{value!r} is not a finite number")
    return parsed


def integer(value: Any) -> int:
    """A whole number, as ``settings.getint`` reads it.

    >>> integer("-2")
    -2
    >>> integer("2.5")
    Traceback (most recent call last):
    ...
    ValueError: '2.5' is not a whole number
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{value!r} is not a whole number") from None


def count(value: Any) -> int:
    """A whole number of things: 0 or more.

    >>> count("10")
    10
    >>> count("-1")
    Traceback (most recent call last):
    ...
    ValueError: '-1' is negative
    """
    parsed = integer(value)
    if parsed < 0:
        raise ValueError(f"{value!r} is negative")
    return parsed


def positive_count(value: Any) -> int:
    """A whole number of at least 1.

    >>> positive_count(0)
    Traceback (most recent call last):
    ...
    ValueError: 0 is below 1
    """
    parsed = integer(value)
    if parsed < 1:
        raise ValueError(f"{value!r} is below 1")
    return parsed


def duration(value: Any) -> float:
    """Seconds (or days, for ``..._DAYS``): 0 or more.

    >>> duration("1.5")
    1.5
    >>> duration(-0.5)
    Traceback (most recent call last):
    ...
    ValueError: -0.5 is negative
    """
    parsed = number(value)
    if parsed < 0:
        raise ValueError(f"{value!r} is negative")
    return parsed


def positive_number(value: Any) -> float:
    """A number above 0.

    >>> positive_number("0")
    Traceback (most recent call last):
    ...
    ValueError: '0' is not above 0
    """
    parsed = number(value)
    if parsed <= 0:
        raise ValueError(f"{value!r} is not above 0")
    return parsed


def ratio(value: Any) -> float:
    """A share between 0 and 1, both included.

    >>> ratio("0.5")
    0.5
    >>> ratio("1.5")
    Traceback (most recent call last):
    ...
    ValueError: '1.5' is not a ratio between 0 and 1
    """
    parsed = number(value)
    if not 0 <= parsed <= 1:
        raise ValueError(f"{value!r} is not a ratio between 0 and 1")
    return parsed


def boolean(value: Any) -> bool:
    """What ``settings.getbool`` accepts: 0/1, True/False, true/false.

    >>> boolean("true"), boolean(0)
    (True, False)
    >>> boolean("yes")
    Traceback (most recent call last):
    ...
    ValueError: 'yes' is not a boolean (use 1/0, True/False or true/false)
    """
    try:
        return BaseSettings({"value": value}).getbool("value")
    except (TypeError, ValueError):
        raise ValueError(
            f"{value!r} is not a boolean (use 1/0, True/False or true/false)"
        ) from None


def _unit(parse: Any, value: Any) -> Any:
    try:
        return parse(value, "")
    except BadArguments as exc:
        raise ValueError(str(exc).removeprefix(": ")) from None


def human_duration(value: Any) -> float:
    """Seconds, or a number and a unit, as the cron settings take them.

    >>> human_duration("30m"), human_duration(90)
    (1800.0, 90.0)
    >>> human_duration("a while")
    Traceback (most recent call last):
    ...
    ValueError: 'a while' is not a duration (e.g. 90, 30m, 24h, 2d)
    """
    return _unit(parse_duration, value)


def size_or_share(value: Any) -> Any:
    """Bytes (``2G``) or a share of the disk (``5%``).

    >>> size_or_share("5%").percent
    True
    """
    return _unit(parse_size, value)


def gzip_level(value: Any) -> int:
    """
    >>> gzip_level("1")
    1
    >>> gzip_level(12)
    Traceback (most recent call last):
    ...
    ValueError: 12 is not a gzip level (0 to 9)
    """
    level = integer(value)
    if not 0 <= level <= 9:
        raise ValueError(f"{value!r} is not a gzip level (0 to 9)")
    return level


def layouts(value: Any) -> Any:
    try:
        return load_layouts(sequence(value))
    except BadArguments as exc:
        raise ValueError(str(exc).removeprefix("STORY_LAYOUTS: ")) from None


def mapping(value: Any) -> dict[Any, Any]:
    """A dict, or a JSON object as ``-s NAME='{...}'`` gives one.

    >>> mapping('{"title": 0.5}')
    {'title': 0.5}
    >>> mapping("title=0.5")
    Traceback (most recent call last):
    ...
    ValueError: 'title=0.5' is not a JSON object
    """
    if isinstance(value, BaseSettings):
        return value.copy_to_dict()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    raise ValueError(f"{value!r} is not a JSON object")


def sequence(value: Any) -> list[Any]:
    """A list, or a comma-separated string as ``settings.getlist`` reads it.

    >>> sequence("500,502")
    ['500', '502']
    >>> sequence(5)
    Traceback (most recent call last):
    ...
    ValueError: 5 is not a list
    """
    if isinstance(value, str):
        return value.split(",") if value else []
    if isinstance(value, list | tuple):
        return list(value)
    raise ValueError(f"{value!r} is not a list")


def http_statuses(value: Any) -> list[int]:
    """HTTP status codes, 100 to 599.

    >>> http_statuses("500,429")
    [500, 429]
    >>> http_statuses("500,5O3")
    Traceback (most recent call last):
    ...
    ValueError: '5O3' is not an HTTP status
    """
    statuses = []
    for item in sequence(value):
        try:
            status = integer(item)
        except ValueError:
            status = 0
        if not 100 <= status <= 599:
            raise ValueError(f"{item!r} is not an HTTP status")
        statuses.append(status)
    return statuses


def ratios_by_field(value: Any) -> dict[str, float]:
    """A dict of record field -> ratio, such as ARCHIVE_FIELD_MISSING_MAX_RATIO.

    >>> ratios_by_field('{"kicker": 1, "source": 0.2}')
    {'kicker': 1.0, 'source': 0.2}
    >>> ratios_by_field('{"kicker": "lots"}')
    Traceback (most recent call last):
    ...
    ValueError: kicker: 'lots' is not a number
    >>> ratios_by_field('{"kiker": 1}')
    Traceback (most recent call last):
    ...
    ValueError: 'kiker' is not a field of a story record (did you mean kicker?)
    """
    fields = [field.name for field in dataclasses.fields(StoryItem)]
    parsed = {}
    for field, share in mapping(value).items():
        if field not in fields:
            raise ValueError(
                f"{field!r} is not a field of a story record{did_you_mean(str(field), fields)}"
            )
        try:
            parsed[field] = ratio(share)
        except ValueError as exc:
            raise ValueError(f"{field}: {exc}") from None
    return parsed


def directory(value: Any) -> str:
    """A directory's path. An empty one would put the archive wherever the
    command happens to run.

    >>> directory("/srv/archive")
    '/srv/archive'
    >>> directory(" ")
    Traceback (most recent call last):
    ...
    ValueError: ' ' names no directory (give one, e.g. archive or /srv/archive)
    """
    path = os.fspath(value) if isinstance(value, str | os.PathLike) else None
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"{value!r} names no directory (give one, e.g. archive or /srv/archive)")
    return path


LANGUAGE = re.compile(r"^[a-z]{2,3}$")
# The editions the project reads: the site's English one, and the Persian
# one its CMS families publish. Any other code puts every story URL under a
# path the site does not have, and every story would be filed not_found; a
# new edition needs its pages and dates read first.
EDITIONS = ("en", "fa")


def language(value: Any) -> str:
    """An edition's language code as the site's URLs use it (``en``, ``fa``).

    >>> language("fa")
    'fa'
    >>> language("English")
    Traceback (most recent call last):
    ...
    ValueError: 'English' is not a language code such as en or fa
    >>> language("xx")
    Traceback (most recent call last):
    ...
    ValueError: 'xx' is not an edition this project reads (en, fa)
    """
    if not isinstance(value, str) or not LANGUAGE.match(value):
        raise ValueError(f"{value!r} is not a language code such as en or fa")
    if value not in EDITIONS:
        raise ValueError(f"{value!r} is not an edition this project reads ({', '.join(EDITIONS)})")
    return value


def site_url(value: Any) -> str:
    """The site's root: an http(s) URL with a host and nothing a story URL
    cannot be built on. Stories are asked at ``{SITE_URL}/{SITE_LANGUAGE}/news/{code}``:
    a query, a fragment or the edition in the path would ask every story
    somewhere else, and file every code not_found.

    >>> site_url("http://127.0.0.1:8080/")
    'http://127.0.0.1:8080'
    >>> site_url("https://mirror.example/iranproject")
    'https://mirror.example/iranproject'
    >>> site_url("ftp://example.org")
    Traceback (most recent call last):
    ...
    ValueError: 'ftp://example.org' is not an http(s) URL with a host
    >>> site_url("http://x.org/en")
    Traceback (most recent call last):
    ...
    ValueError: 'http://x.org/en' ends with the edition /en: give the site's root (SITE_LANGUAGE)
    >>> site_url("http://127.0.0.1:99999")
    Traceback (most recent call last):
    ...
    ValueError: 'http://127.0.0.1:99999' has no usable port (0 to 65535)
    """
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL with a host")
    try:
        parts.port  # noqa: B018  # urlsplit checks the port only when asked
    except ValueError:
        raise ValueError(f"{value!r} has no usable port (0 to 65535)") from None
    if parts.username is not None or parts.password is not None:
        # Not echoed: a password has no place in a log.
        shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        raise ValueError(f"{shown!r} has a user name or password: give the site's address alone")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError(f"{value!r} has a query or a fragment: give the site's root")
    root = text.rstrip("/")
    edition = root.rsplit("/", 1)[-1] if parts.path.strip("/") else ""
    if edition in EDITIONS:
        raise ValueError(
            f"{value!r} ends with the edition /{edition}: give the site's root (SITE_LANGUAGE)"
        )
    return root


def check_feed_files(feeds: Mapping[str, Any]) -> None:
    """``-o``/``-O`` files this user cannot write are refused before the run:
    Scrapy would find out only when it closes the feed, after the crawl, and
    end with a traceback and exit 0 (local paths only; a URI with
    placeholders is left to Scrapy).

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as file:  # a path under a file
    ...     check_feed_files({f"{file.name}/x.jsonl": {}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: cannot write the export .../x.jsonl (-o/-O)
    """
    for uri in feeds:
        text = str(uri)
        if "%(" in text or ("://" in text and not text.startswith("file://")):
            continue
        path = Path(text.removeprefix("file://"))
        existing = path if path.exists() else next(p for p in path.parents if p.exists())
        wanted = os.W_OK | (os.X_OK if existing.is_dir() else 0)
        if (existing != path and not existing.is_dir()) or not os.access(existing, wanted):
            raise BadArguments(f"cannot write the export {path} (-o/-O)")


def log_level(value: Any) -> Any:
    """A logging level name or number.

    >>> log_level("info")
    'info'
    >>> log_level("LOUD")
    Traceback (most recent call last):
    ...
    ValueError: 'LOUD' is not a log level (CRITICAL, ERROR, WARNING, INFO or DEBUG)
    """
    if isinstance(value, int) or (
        isinstance(value, str) and value.upper() in logging.getLevelNamesMapping()
    ):
        return value
    raise ValueError(f"{value!r} is not a log level (CRITICAL, ERROR, WARNING, INFO or DEBUG)")


# Every project setting with a numeric, boolean or structured meaning, and the
# Scrapy settings this project relies on. A setting that is not set is not
# checked (its component has a default).
CHECKED_SETTINGS: dict[str, Parser] = {
    "SITE_URL": site_url,
    "SITE_LANGUAGE": language,
    "ARCHIVE_DIR": directory,
    "ARCHIVE_FSYNC_INTERVAL": duration,
    "ARCHIVE_NOT_FOUND_RECHECK_DAYS": duration,
    "ARCHIVE_FAILED_MAX_RATIO": ratio,
    "ARCHIVE_FIELD_MISSING_MAX_RATIO": ratios_by_field,
    "ARCHIVE_STOP_TIMEOUT": duration,
    "ARCHIVE_PROGRESS_INTERVAL": duration,
    "ARCHIVE_MAX_TITLE_LENGTH": positive_count,
    "LATEST_PROBE_MISSES": count,
    "LATEST_MAX_JUMP": count,
    "LATEST_RETRY_MAX": count,
    "STORY_LAYOUTS": layouts,
    "ARCHIVE_LOCK_WAIT": human_duration,
    "ARCHIVE_UNREACHABLE_AFTER": human_duration,
    "ARCHIVE_UNREACHABLE_ENABLED": boolean,
    "ARCHIVE_LOG_QUIET": boolean,
    "ARCHIVE_LOG_FAILED_MAX": count,
    "ARCHIVE_CHECK_MAX_SILENCE": human_duration,
    "ARCHIVE_CHECK_MAX_FAILED": count,
    "ARCHIVE_CHECK_MIN_FREE": size_or_share,
    "ARCHIVE_WARC": boolean,
    "ARCHIVE_WARC_MAX_BYTES": positive_count,
    "ARCHIVE_WARC_GZIP_LEVEL": gzip_level,
    "DOWNLOAD_MAXHEADERSIZE": count,
    "SITE_BOUNDARY_ENABLED": boolean,
    "ROBOTSTXT_OBEY": boolean,
    "CONCURRENT_REQUESTS": positive_count,
    "CONCURRENT_REQUESTS_PER_DOMAIN": positive_count,
    "CONCURRENT_ITEMS": positive_count,
    "DOWNLOAD_DELAY": duration,
    "RANDOMIZE_DOWNLOAD_DELAY": boolean,
    "DOWNLOAD_TIMEOUT": positive_number,
    "DOWNLOAD_MAXSIZE": count,
    "DOWNLOAD_WARNSIZE": count,
    "DOWNLOAD_FAIL_ON_DATALOSS": boolean,
    "AUTOTHROTTLE_ENABLED": boolean,
    "AUTOTHROTTLE_DEBUG": boolean,
    "AUTOTHROTTLE_START_DELAY": duration,
    "AUTOTHROTTLE_MAX_DELAY": duration,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": positive_number,
    "COOKIES_ENABLED": boolean,
    "RETRY_ENABLED": boolean,
    "RETRY_TIMES": count,
    "RETRY_HTTP_CODES": http_statuses,
    "RETRY_PRIORITY_ADJUST": integer,
    "RETRY_BACKOFF_BASE": duration,
    "RETRY_BACKOFF_MAX": duration,
    "REDIRECT_ENABLED": boolean,
    "REDIRECT_MAX_TIMES": count,
    "METAREFRESH_ENABLED": boolean,
    "METAREFRESH_MAXDELAY": duration,
    "CLOSESPIDER_TIMEOUT": duration,
    "CLOSESPIDER_TIMEOUT_NO_ITEM": duration,
    "CLOSESPIDER_ITEMCOUNT": count,
    "CLOSESPIDER_PAGECOUNT": count,
    "CLOSESPIDER_PAGECOUNT_NO_ITEM": count,
    "CLOSESPIDER_ERRORCOUNT": count,
    "TELNETCONSOLE_ENABLED": boolean,
    "MEMUSAGE_ENABLED": boolean,
    "MEMUSAGE_LIMIT_MB": count,
    "MEMUSAGE_WARNING_MB": count,
    "LOG_ENABLED": boolean,
    "LOG_LEVEL": log_level,
}

# Settings whose value is one component (a class path).
COMPONENT_SETTINGS = ("LOG_FORMATTER", "DUPEFILTER_CLASS", "SCHEDULER", "STATS_CLASS")
# Settings whose value is a dict of component path -> order (None disables it).
COMPONENT_DICTS = (
    "EXTENSIONS",
    "ITEM_PIPELINES",
    "DOWNLOADER_MIDDLEWARES",
    "SPIDER_MIDDLEWARES",
    "DOWNLOAD_HANDLERS",
)
# The project's own setting families: a name with one of these prefixes that
# the project does not define is a typo, not a new setting.
PROJECT_PREFIXES = ("ARCHIVE_", "LATEST_", "SITE_")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest choice, or nothing when none is close.

    >>> did_you_mean("refesh", ["codes", "codes_file", "refresh"])
    ' (did you mean refresh?)'
    >>> did_you_mean("xyz", ["codes"])
    ''
    """
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def parsers_for(project: BaseSettings) -> dict[str, Parser]:
    """``CHECKED_SETTINGS``, plus a parser for each project-prefixed setting
    the table does not list, from the type of its default in the project's
    settings: a new ``ARCHIVE_...`` number is checked the day it is added.

    Numbers are read leniently (0 or more, whole or not): whether a component
    reads one with getint or getfloat is the table's business.

    >>> project = BaseSettings({"LATEST_NEW_LIMIT": 5, "ARCHIVE_NEW_SWITCH": True,
    ...     "ARCHIVE_NEW_PATH": "p", "DOWNLOAD_DELAY": 0.25})
    >>> parsers = parsers_for(project)
    >>> parsers["LATEST_NEW_LIMIT"].__name__, parsers["ARCHIVE_NEW_SWITCH"].__name__
    ('duration', 'boolean')
    >>> "ARCHIVE_NEW_PATH" in parsers
    False
    >>> parsers["DOWNLOAD_DELAY"] is CHECKED_SETTINGS["DOWNLOAD_DELAY"]
    True
    """
    parsers = dict(CHECKED_SETTINGS)
    for name in project:
        if name in parsers or not name.startswith(PROJECT_PREFIXES):
            continue
        default = project.get(name)
        if isinstance(default, bool):
            parsers[name] = boolean
        elif isinstance(default, int | float):
            parsers[name] = duration
        elif isinstance(default, dict | BaseSettings):
            parsers[name] = mapping
    return parsers


def check_setting_values(settings: BaseSettings, parsers: Mapping[str, Parser]) -> None:
    """Every set value with a parser parses, or BadArguments names it.

    >>> check_setting_values(BaseSettings({"ARCHIVE_FAILED_MAX_RATIO": "0.1"}), CHECKED_SETTINGS)
    >>> check_setting_values(BaseSettings({"LATEST_PROBE_MISSES": "abc"}), CHECKED_SETTINGS)
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: setting LATEST_PROBE_MISSES: 'abc' is not a whole number
    """
    for name, parse in parsers.items():
        value = settings.get(name)
        if value is None:
            continue
        try:
            parse(value)
        except ValueError as exc:
            raise BadArguments(f"setting {name}: {exc}") from None


def check_setting_names(settings: BaseSettings, defined: Iterable[str]) -> None:
    """A project-prefixed setting the project does not define (in ``defined``,
    its settings module and Scrapy's defaults) is a typo, which would
    otherwise be ignored silently.

    >>> check_setting_names(BaseSettings({"ARCHIVE_DIR": "a"}), ["ARCHIVE_DIR"])
    >>> check_setting_names(BaseSettings({"ARCHIVE_FAILED_MAX_RATO": "0.5"}), [])
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: setting ARCHIVE_FAILED_MAX_RATO is not ... (did you mean ...RATIO?)
    """
    known = set(CHECKED_SETTINGS) | set(defined)
    for name in settings:
        if name.startswith(PROJECT_PREFIXES) and name not in known:
            raise BadArguments(
                f"setting {name} is not a setting of this project{did_you_mean(name, known)}"
            )


def _load(setting: str, path: Any) -> None:
    if not isinstance(path, str):  # a class given in a Python settings file
        return
    try:
        load_object(path)
    except (ImportError, NameError, ValueError, AttributeError) as exc:
        raise BadArguments(f"setting {setting}: cannot load {path!r} ({exc})") from None


def check_components(settings: BaseSettings) -> None:
    """Every enabled component path imports, and every order is a number.

    >>> check_components(BaseSettings({"EXTENSIONS": {"crawler.nowhere.Ext": 1}}))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: setting EXTENSIONS: cannot load 'crawler.nowhere.Ext' (No ...)
    >>> check_components(BaseSettings({"ITEM_PIPELINES": '{"a.X": "x"}'}))
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: setting ITEM_PIPELINES: order 'x' of a.X is not a number
    """
    for name in COMPONENT_SETTINGS:
        if settings.get(name):
            _load(name, settings.get(name))
    for name in COMPONENT_DICTS:
        try:
            components = mapping(settings.get(name) or {})
        except ValueError as exc:
            raise BadArguments(f"setting {name}: {exc}") from None
        for path, value in components.items():
            if value is None:
                continue
            if name == "DOWNLOAD_HANDLERS":  # scheme -> handler path
                _load(name, value)
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadArguments(f"setting {name}: order {value!r} of {path} is not a number")
            _load(name, path)


def check_settings(
    settings: BaseSettings, project: BaseSettings, *, components: bool = True
) -> None:
    """All of the above, in the order a user would fix them. ``project`` is
    the project's own settings (module and Scrapy's defaults, nothing from the
    command line): what is defined, and the type of each default. Component
    paths matter only to a command that crawls (importing them all costs
    about 0.1 s)."""
    check_setting_names(settings, project)
    check_setting_values(settings, parsers_for(project))
    if components:
        check_components(settings)


def check_spider_arguments(
    spider: str, accepted: Iterable[str] | None, given: Iterable[str]
) -> None:
    """``-a NAME=VALUE`` arguments the spider does not declare in its
    ``arguments`` attribute (None: it declares nothing, anything goes).

    >>> check_spider_arguments("latest", ("refresh",), ["refresh"])
    >>> check_spider_arguments("latest", ("refresh", "codes"), ["refesh"])
    ... # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: spider latest has no argument -a refesh (did you mean refresh?);
    it accepts: refresh, codes
    >>> check_spider_arguments("bare", (), ["x"])
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: spider bare has no argument -a x; it accepts none
    """
    if accepted is None:
        return
    accepted = tuple(accepted)
    listed = f"it accepts: {', '.join(accepted)}" if accepted else "it accepts none"
    for name in given:
        if name not in accepted:
            raise BadArguments(
                f"spider {spider} has no argument -a {name}{did_you_mean(name, accepted)}; {listed}"
            )


def check_command_line(command: str, args: list[str], positional: int) -> None:
    """What Scrapy's lenient parse left over: unknown options and extra words.

    >>> check_command_line("archive-status", [], 0)
    >>> check_command_line("archive-status", ["--jsn"], 0)
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: unknown option --jsn (scrapy archive-status -h lists the options)
    >>> check_command_line("crawl", ["stories", "latest"], 1)
    Traceback (most recent call last):
    ...
    crawler.errors.BadArguments: unexpected argument 'latest'
    """
    for arg in args:
        if arg.startswith("-") and arg != "-":
            raise BadArguments(
                f"unknown option {arg.split('=', 1)[0]} (scrapy {command} -h lists the options)"
            )
    if len(args) > positional:
        raise BadArguments(f"unexpected argument {args[positional]!r}")


def spider_class(settings: BaseSettings, name: str) -> type[Spider]:
    """The project's spider of that name, or BadArguments listing them."""
    spiders = get_spider_loader(settings)
    if name not in spiders.list():
        raise BadArguments(
            f"no spider {name!r}{did_you_mean(name, spiders.list())}; "
            f"spiders: {', '.join(sorted(spiders.list()))}"
        )
    return spiders.load(name)


def check_outside_crawl(settings: BaseSettings, spider: str | None, instead: str) -> None:
    """``fetch``, ``parse`` and ``shell`` use a spider's class without its
    ``start()``: a spider that archives would take the lock, open the ledger
    and record a run of nothing, or crash on a response that is not one of its
    story requests. Such spiders run only under ``scrapy crawl``."""
    if spider is not None and getattr(spider_class(settings, spider), "archives_stories", False):
        raise BadArguments(
            f"spider {spider} writes the archive and runs only under scrapy crawl; {instead}"
        )


def refuse(command: str, message: str) -> NoReturn:
    """Stop a command with one line on stderr and exit status 2.

    Scrapy's ``UsageError`` prints the usage too; a cron mail should hold one line."""
    print(f"scrapy {command}: {message}", file=sys.stderr)
    raise SystemExit(int(ExitCode.USAGE))
