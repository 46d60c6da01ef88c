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


class _Periodic:
    """An extension that runs `tick` every `interval` seconds while the spider is open.

    It is on when its `SETTING` is positive, and made with that setting's value.
    """

    SETTING: str

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _Periodic:
        value = crawler.settings.getfloat(cls.SETTING)
        if value <= 0:
            raise NotConfigured
        return cls(crawler, value)

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_opened(self) -> None:
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def tick(self) -> None:
        raise NotImplementedError

    def spider_closed(self) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()


class Progress(_Periodic):
    """Every NEWSDELTA_PROGRESS_INTERVAL seconds: pages fetched, documents archived, failures."""

    SETTING = "NEWSDELTA_PROGRESS_INTERVAL"

    def tick(self) -> None:
        get = self.crawler.stats.get_value
        sys.stderr.write(
            f"progress: {get('response_received_count', 0)} pages fetched, "
            f"{get('newsdelta/new', 0)} new, {get('newsdelta/edited', 0)} edited, "
            f"{get('newsdelta/unchanged', 0)} unchanged, {get('newsdelta/failed', 0)} failed\n"
        )


class StopWithTheCli(_Periodic):
    """Stop the crawl cleanly once the `newsdelta` process that started it is gone.

    `kill PID` of `newsdelta crawl` (or of the scheduler) ends that process only: a signal to
    the whole group reaches the crawl itself. Left alone, the crawl went on to the end with
    nobody to report to, holding the archive's lock. `scraper.runner` names its process in
    NEWSDELTA_PARENT_PID; `scrapy crawl` sets none, and this stays off.
    """

    SETTING = "NEWSDELTA_PARENT_PID"

    def __init__(self, crawler: Crawler, parent_pid: float) -> None:
        super().__init__(crawler, interval=1.0)
        self.parent_pid = int(parent_pid)

    def tick(self) -> None:
        if os.getppid() == self.parent_pid:
            return
        log.warning("the newsdelta process that started this crawl is gone: stopping the crawl")
        self.spider_closed()
        deferred_from_coro(self.crawler.stop_async())
