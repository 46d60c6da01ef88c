"""Scrapy's log messages, without the per-page ones no log handler would show."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.spiders import Spider
from twisted.python.failure import Failure


class QuietLogFormatter(LogFormatter):
    """Scrapy's `LogFormatter`; its two messages for every page, "Crawled (200) …" and
    "Scraped from …" (both DEBUG), only when LOG_LEVEL shows DEBUG.

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


def _level(value: str | int) -> int:
    """A LOG_LEVEL setting ("INFO", "info" or 20) as a number."""
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value).upper())
    return level if isinstance(level, int) else logging.DEBUG
