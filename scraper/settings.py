"""Scrapy settings of newsdelta: polite by default, fast where it costs nobody anything.

`scrapy crawl indbiz` reads these from the project root (scrapy.cfg); the `newsdelta` CLI loads
the same module and sets the NEWSDELTA_* values from its flags.
"""

import os

BOT_NAME = "newsdelta"
SPIDER_MODULES = ["scraper.spiders"]
NEWSPIDER_MODULE = "scraper.spiders"

# Politeness: a named agent that obeys robots.txt and adapts its pace to the server's.
USER_AGENT = "newsdelta/0.1 (news archive; +https://github.com/newsdelta/newsdelta)"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS_PER_DOMAIN = 4
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote control: an HTTP server in every crawl that runs the Python code it is
# sent, its token left in ~/.local/state/scrapy/job_files (for good, when a crawl is killed).
# An archiver run by cron has no use for it.
REMOTE_CONTROL_ENABLED = False

# Faults: give up on a page before it holds up the crawl; never buffer a huge one whole.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's retries, but honouring the server's Retry-After on 429 and 503.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    # robots.txt obeyed, its Crawl-delay included.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "scraper.middlewares.CrawlDelayRobotsTxtMiddleware": 100,
    "scraper.middlewares.RetryAfterMiddleware": 550,
    "scraper.middlewares.OffsiteRedirectMiddleware": 60,
    # Scrapy's meta refresh redirects, found without decoding every page.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "scraper.middlewares.BytesMetaRefreshMiddleware": 580,
}

# Scrapy checks each generator callback for a `return value` by reading and parsing its source,
# cached per bound method: a new one with every request, so it ran once per listing page. The
# test suite runs the same check on every spider callback instead (tests/test_crawl.py).
WARN_ON_GENERATOR_RETURN_VALUE = False

# One item per page: Scrapy's default of 100 concurrent item tasks only costs time (DESIGN.md).
CONCURRENT_ITEMS = 8

ITEM_PIPELINES = {
    "scraper.pipelines.ValidatePipeline": 100,
    "scraper.pipelines.ArchivePipeline": 800,
}
EXTENSIONS = {
    "scraper.extensions.Progress": 500,
    "scraper.gctuning.GcTuning": 0,
    "scraper.logformat.OneLineNetworkErrors": 0,  # a site that is down: no tracebacks
    "scraper.extensions.StopWithTheCli": 0,
}

LOG_LEVEL = "INFO"
LOG_FORMATTER = "scraper.logformat.QuietLogFormatter"  # no per-page records below DEBUG

# newsdelta's own settings.
NEWSDELTA_DB = os.environ.get("NEWSDELTA_DB", "archive.db")
NEWSDELTA_TRIGGER = "scrapy"  # cli / schedule / cron / demo / scrapy: recorded in `crawls`
NEWSDELTA_BATCH_SIZE = 100  # documents written per transaction
# Clean pages in a worker process while the crawl downloads (bench/README.md): on when the
# machine has a core to spare.
_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
NEWSDELTA_CLEAN_WORKER = _cpus > 1
NEWSDELTA_SUMMARY = True  # print the end-of-crawl summary
NEWSDELTA_PARENT_PID = 0  # the newsdelta process a crawl stops without (set by scraper.runner)
NEWSDELTA_GC_THRESHOLD = 50_000  # allocations between young collections in a crawl (Python's default: 700)
NEWSDELTA_PROGRESS_INTERVAL = 10.0  # seconds between progress lines; 0 turns them off
# Change tracking (see storage.archive): a 404 is a removal only when seen twice this far apart.
NEWSDELTA_REMOVAL_CONFIRM_S = 3600.0
# Mass-change guard: more than this share (and at least this many) edited in the same fields.
NEWSDELTA_GUARD_SHARE = 0.3
NEWSDELTA_GUARD_MIN = 5
# Recheck intervals by article age, halved per past edit (at most three times).
NEWSDELTA_RECHECK_HOURS = {"first_day_hours": 1, "first_month_hours": 24, "older_hours": 168}
NEWSDELTA_RECHECK_ALL = False  # recheck every live article, due or not
NEWSDELTA_MAX_DB_MB = 0.0  # stop writing (cleanly, as on a full disk) past this size; 0: no cap
NEWSDELTA_MAX_LISTING_PAGES = 2000  # a bound on /page/N/, whatever the site says
NEWSDELTA_RETRY_AFTER_MAX = 60.0  # seconds: the longest Retry-After honoured before a retry
NEWSDELTA_CRAWL_DELAY_MAX = 60.0  # seconds: the longest robots.txt Crawl-delay honoured
