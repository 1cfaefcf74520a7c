"""Project defaults: polite to the site, safe by default, every one overridable with ``-s``."""

BOT_NAME = "story-archive"

SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "crawler.commands"

# --- The site -------------------------------------------------------------
# A story is requested at {SITE_URL}/en/news/{code}; pointing this at a mirror
# (or the test replica) is all it takes to archive from somewhere else.
SITE_URL = "https://www.theiranproject.com"
# The edition: stories at {SITE_URL}/{SITE_LANGUAGE}/news/{code}, the home page
# at {SITE_URL}/{SITE_LANGUAGE}, and the records' `language`. "fa" for Persian.
SITE_LANGUAGE = "en"
# The page layouts the extractor knows, tried in this order (a variant before
# the template it varies); a page none of them matches goes to the generic
# layer. A new template is a page object (crawler/pages/layouts/) added here.
STORY_LAYOUTS = [
    "crawler.pages.layouts.NewsStudioClassic",
    "crawler.pages.layouts.NewsStudioCurrent",
    "crawler.pages.layouts.IranSamanehDidgah",
    "crawler.pages.layouts.IranSamaneh",
]

# --- The archive ----------------------------------------------------------
ARCHIVE_DIR = "archive"
# fsync the archive file at most this often (seconds); every line is written
# with a single write() as soon as it is accepted, so a killed process never
# leaves a record half in the OS buffers, and a reboot loses at most this much.
ARCHIVE_FSYNC_INTERVAL = 1.0
# Not-found codes are asked again only after this many days: stories can
# appear late. 0 re-checks them on every run.
ARCHIVE_NOT_FOUND_RECHECK_DAYS = 7
# A run whose share of failed codes is above this ends with exit status 3.
ARCHIVE_FAILED_MAX_RATIO = 0.0
# A run in which a field is missing on a larger share of the pages that gave a
# record than this ends with exit status 8 (the site's layout changed). Only
# the fields named are watched; add optional ones (lead, source...) to watch them.
ARCHIVE_FIELD_MISSING_MAX_RATIO = {"title": 0.0, "body": 0.0, "published_at": 0.0}
# After the first SIGTERM/Ctrl-C, in-flight requests get this long to finish
# before they are abandoned.
ARCHIVE_STOP_TIMEOUT = 20
# A progress line (codes done/total, rate, ETA) every this many seconds.
ARCHIVE_PROGRESS_INTERVAL = 30.0

# `scrapy crawl latest`: stop probing upward after this many consecutive
# codes that are not stories.
LATEST_PROBE_MISSES = 10
# A listed code more than this far above the highest story known is fetched
# alone and logged as a stray, never gap-filled up to: one bad link must not
# send a run into millions of requests.
LATEST_MAX_JUMP = 2000
# Codes left failed, blocked or unrecognized by earlier runs that each `latest`
# run asks again, oldest first (`stories -a codes=failed` asks them all).
LATEST_RETRY_MAX = 100

# --- Politeness -----------------------------------------------------------
# The spiders send "story-archive/<version> (+CONTACT_URL)" unless USER_AGENT is
# set explicitly: point CONTACT_URL at a page that says who runs the crawler.
CONTACT_URL = "https://github.com/story-archive/story-archive"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
COOKIES_ENABLED = False

# Retries with exponential backoff (Scrapy >= 2.19 honours Retry-After on 429).
RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30

# --- Safety ---------------------------------------------------------------
TELNETCONSOLE_ENABLED = False
# Scrapy's remote-control HTTP server would let anyone on the machine drive the run.
REMOTE_CONTROL_ENABLED = False
# Only http and https: file:, data:, ftp: and s3: URLs are refused outright.
DOWNLOAD_HANDLERS: dict[str, str | None] = {"file": None, "data": None, "ftp": None, "s3": None}
# Story pages are tens of KiB; anything this large is not a story, and the cap
# also bounds decompressed bodies (gzip/deflate/brotli bombs).
DOWNLOAD_MAXSIZE = 4 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1024 * 1024
REDIRECT_MAX_TIMES = 5
# Redirects, meta refresh and Refresh headers stay on SITE_URL's scheme, host
# and port: see "The network boundary" below.

# --- Components -----------------------------------------------------------
ITEM_PIPELINES = {
    "crawler.pipelines.validate.ValidatePipeline": 200,
    "crawler.pipelines.dedup.DedupPipeline": 300,
    "crawler.pipelines.archive.ArchivePipeline": 800,
}

EXTENSIONS = {
    "crawler.extensions.run.ArchiveRun": 100,
    "crawler.extensions.progress.Progress": 500,
}

# Codes are deduplicated by the spiders, by number: two codes that redirect to
# one story must both get an answer, so Scrapy's URL filter stands aside.
# (dont_filter would do the same, but would also let offsite redirects through.)
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"

# A response gives one story; Scrapy starts this many asyncio workers per
# response to process its output, so the default (100) is pure overhead here.
CONCURRENT_ITEMS = 4
# Scrapy checks each generator callback for a `return value` by parsing its
# source; its cache is keyed weakly on the bound method, which is new for
# every request, so the source was parsed again for each page (about 1 ms).
# The project's callbacks return nothing: tests/test_run_components.py checks it.
WARN_ON_GENERATOR_RETURN_VALUE = False

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# --- The network boundary ---------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry.BackoffRetryMiddleware": 550,
    # Above RedirectMiddleware (600) and MetaRefreshMiddleware (580), so it sees
    # a 3xx, a meta refresh or a Refresh header before either follows it.
    "crawler.middlewares.boundary.SiteBoundaryMiddleware": 650,
    # Scrapy's RobotsTxtMiddleware lets requests leave before robots.txt is
    # parsed; this one holds them until it is (same place, same settings).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.RobotsFirstMiddleware": 100,
}
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0
# Only scheme, host and port of SITE_URL: every other target of a redirect,
# meta refresh or Refresh header is refused and counted (archive/refused/*).
SITE_BOUNDARY_ENABLED = True
# Scrapy's HTTP/1.1 handler with a bound on response headers, which
# DOWNLOAD_MAXSIZE does not cover: a server streaming headers forever would
# otherwise grow memory until DOWNLOAD_TIMEOUT. Over the bound, the code fails
# with "response headers over DOWNLOAD_MAXHEADERSIZE (N bytes)". 0: no bound.
DOWNLOAD_HANDLERS = {
    **DOWNLOAD_HANDLERS,
    "http": "crawler.middlewares.headers.BoundedHeadersDownloadHandler",
    "https": "crawler.middlewares.headers.BoundedHeadersDownloadHandler",
}
DOWNLOAD_MAXHEADERSIZE = 64 * 1024

LOG_FORMATTER = "crawler.logformatter.ArchiveLogFormatter"
# A 1 MB "title" is not a title: such a record is rejected with its reason.
ARCHIVE_MAX_TITLE_LENGTH = 1000

# --- Running from cron: logs, reachability, the lock, the health check ------
# Scrapy's own start-up and shutdown messages go to DEBUG; the stats go to
# runs/<run_id>.json instead of a dump at the end of the log.
ARCHIVE_LOG_QUIET = True
STATS_DUMP = False
# One WARNING line per failed code, at most this many, then "... and N more".
ARCHIVE_LOG_FAILED_MAX = 20
# A failed code is logged once, by the run, not also by the retry middleware.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
# No answer at all from the site for this long, only connection failures
# (DNS, refused, timeout): the run stops with exit status 4.
ARCHIVE_UNREACHABLE_ENABLED = True
ARCHIVE_UNREACHABLE_AFTER = "30s"
DOWNLOADER_MIDDLEWARES["crawler.middlewares.reachability.ReachabilityWatch"] = 950
# Wait this long for another run's lock (e.g. 50m) instead of exiting 6 at once.
ARCHIVE_LOCK_WAIT = 0
# `scrapy archive-status --check` (monitoring-plugin exit statuses 0/1/2/3):
# CRITICAL when the newest archived story was published longer ago than this
# (0: never), WARNING above this many failed or blocked codes or below this much free
# disk space (bytes, e.g. 2G, or a share of the disk, e.g. 5%).
ARCHIVE_CHECK_MAX_SILENCE = "24h"
ARCHIVE_CHECK_MAX_FAILED = 100
ARCHIVE_CHECK_MIN_FREE = "5%"

# --- WARC capture ---------------------------------------------------------
# Every response (stories, not-found and error pages, redirects, retried 5xx,
# home page, feed, robots.txt) is kept as the server sent it, in WARC/1.1
# files under ARCHIVE_DIR/warc/, so the archive can be re-extracted without
# the site (`scrapy archive-reextract`).
ARCHIVE_WARC = True
# A WARC file is closed and the next one started past this size.
ARCHIVE_WARC_MAX_BYTES = 1024**3
# gzip level of each record's member: on 35 KB pages, 1 (ISA-L) takes a tenth
# of level 9's time (warcio's own) for a fifth more disk; 1-3 go through ISA-L,
# the others through zlib (`python -m bench.warc levels`).
ARCHIVE_WARC_GZIP_LEVEL = 1
# Next to the downloader: its process_response sees each response before
# decompression (590), redirects (600) and retries (550) change it.
DOWNLOADER_MIDDLEWARES["crawler.warc.capture.WarcCapture"] = 960
