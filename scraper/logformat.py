"""Scrapy's log messages, without the per-item one no log handler would show."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.spiders import Spider
from twisted.python.failure import Failure


class ItemLogFormatter(LogFormatter):
    """Scrapy's `LogFormatter`; "Scraped from …" (DEBUG) only when LOG_LEVEL shows DEBUG.

    Scrapy sets the root logger to pass everything and filters in its handler, so each item's
    DEBUG message built a log record, with a walk up the stack for its caller, that the handler
    then dropped: 2.5% of the crawl's own thread (bench/README.md). Returning None is
    LogFormatter's way of saying "nothing to log".
    """

    def __init__(self, log_items: bool = True) -> None:
        self.log_items = log_items

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ItemLogFormatter:
        return cls(log_items=_level(crawler.settings.get("LOG_LEVEL")) <= logging.DEBUG)

    def scraped(self, item: Any, response: Response | Failure | None, spider: Spider) -> LogFormatterResult | None:  # type: ignore[override]
        return super().scraped(item, response, spider) if self.log_items else None


def _level(value: str | int) -> int:
    """A LOG_LEVEL setting ("INFO", "info" or 20) as a number."""
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value).upper())
    return level if isinstance(level, int) else logging.DEBUG
