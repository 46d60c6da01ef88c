"""Scrapy's log messages: without the per-page ones no log handler would show, and network
errors in one line."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.spiders import Spider
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure


class QuietLogFormatter(LogFormatter):
    """Scrapy's `LogFormatter`; its two messages for every page, "Crawled (200) …" and
    "Scraped from …" (both DEBUG), only when LOG_LEVEL shows DEBUG, and a dropped item in one line.

    Scrapy sets the root logger to pass everything and filters in its handler, so each page's
    DEBUG messages built log records, with a walk up the stack for their caller, that the
    handler then dropped: ~3.5% of the crawl's own thread (bench/README.md). Returning None is
    LogFormatter's way of saying "nothing to log".
    """

    def __init__(self, debug: bool = True) -> None:
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietLogFormatter:
        return cls(debug=_level(crawler.settings.get("LOG_LEVEL")) <= logging.DEBUG)

    def crawled(self, request: Request, response: Response, spider: Spider) -> LogFormatterResult | None:  # type: ignore[override]
        return super().crawled(request, response, spider) if self.debug else None

    def scraped(self, item: Any, response: Response | Failure | None, spider: Spider) -> LogFormatterResult | None:  # type: ignore[override]
        return super().scraped(item, response, spider) if self.debug else None

    def dropped(self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Spider) -> LogFormatterResult:
        """Scrapy's "Dropped: REASON" without the item after it: the reason names the page, and
        an article's item (its document and its compressed page) printed whole is no reading."""
        return {**super().dropped(item, exception, response, spider), "msg": "Dropped: %(exception)s"}


class OneLineNetworkErrors(logging.Filter):
    """An extension: the network errors Scrapy logs with a traceback, in one line.

    A site that is down makes Scrapy log its robots.txt as "Error downloading …" with the
    whole traceback of a refused connection or a timeout: a network error is not a bug, and
    the one line says all there is. The errors are those Scrapy retries (`RETRY_EXCEPTIONS`);
    anything else keeps its traceback. Every other failed page already logs one line (its
    errback), and a crawl that could read nothing ends with one error (`ArchivePipeline`).
    """

    #: The loggers that log network errors with a traceback.
    LOGGERS = ("scrapy.downloadermiddlewares.robotstxt",)

    def __init__(self, errors: tuple[type[BaseException], ...]) -> None:
        super().__init__()
        self.errors = errors

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OneLineNetworkErrors:
        errors = tuple(load_object(error) for error in crawler.settings.getlist("RETRY_EXCEPTIONS"))
        extension = cls(errors)
        for name in cls.LOGGERS:
            logging.getLogger(name).addFilter(extension)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], self.errors):
            record.exc_info = None
            record.exc_text = None
        return True

    def spider_closed(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeFilter(self)


def _level(value: str | int) -> int:
    """A LOG_LEVEL setting ("INFO", "info" or 20) as a number."""
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value).upper())
    return level if isinstance(level, int) else logging.DEBUG
