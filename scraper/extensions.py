"""Crawl extensions: progress lines while a crawl runs, and a crawl that outlives its CLI."""

from __future__ import annotations

import logging
import os
import sys

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

log = logging.getLogger(__name__)


class Progress:
    """Every NEWSDELTA_PROGRESS_INTERVAL seconds: pages fetched, documents archived, failures."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.stats = crawler.stats
        self.interval = interval
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("NEWSDELTA_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def report(self) -> None:
        get = self.stats.get_value
        sys.stderr.write(
            f"progress: {get('response_received_count', 0)} pages fetched, "
            f"{get('newsdelta/new', 0)} new, {get('newsdelta/edited', 0)} edited, "
            f"{get('newsdelta/unchanged', 0)} unchanged, {get('newsdelta/failed', 0)} failed\n"
        )

    def spider_closed(self) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()


class StopWithTheCli:
    """Stop the crawl cleanly once the `newsdelta` process that started it is gone.

    `kill PID` of `newsdelta crawl` (or of the scheduler) ends that process only: a signal to
    the whole group reaches the crawl itself. Left alone, the crawl went on to the end with
    nobody to report to, holding the archive's lock. `scraper.runner` names its process in
    NEWSDELTA_PARENT_PID; `scrapy crawl` sets none, and this stays off.
    """

    def __init__(self, crawler: Crawler, parent_pid: int) -> None:
        self.crawler = crawler
        self.parent_pid = parent_pid
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopWithTheCli:
        parent_pid = crawler.settings.getint("NEWSDELTA_PARENT_PID")
        if parent_pid <= 0:
            raise NotConfigured
        extension = cls(crawler, parent_pid)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self.loop = task.LoopingCall(self.check)
        self.loop.start(1.0, now=False)

    def check(self) -> None:
        if os.getppid() == self.parent_pid:
            return
        log.warning("the newsdelta process that started this crawl is gone: stopping the crawl")
        self.spider_closed()
        deferred_from_coro(self.crawler.stop_async())

    def spider_closed(self) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
