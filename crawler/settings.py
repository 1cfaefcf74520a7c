"""Project defaults: polite to the site, safe by default, every one overridable with ``-s``."""

BOT_NAME = "story-archive"

SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "crawler.commands"

# --- The site -------------------------------------------------------------
# A story is requested at {SITE_URL}/en/news/{code}; pointing this at a mirror
# (or the test replica) is all it takes to archive from somewhere else.
SITE_URL = "https://www.theiranproject.com"

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
# After the first SIGTERM/Ctrl-C, in-flight requests get this long to finish
# before they are abandoned.
ARCHIVE_STOP_TIMEOUT = 20
# A progress line (codes done/total, rate, ETA) every this many seconds.
ARCHIVE_PROGRESS_INTERVAL = 30.0

# `scrapy crawl latest`: stop probing upward after this many consecutive
# codes that are not stories.
LATEST_PROBE_MISSES = 10

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
    "crawler.pipelines.normalize.NormalizePipeline": 100,
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
