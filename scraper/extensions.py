"""Progress lines while a crawl runs: long work shows that it is moving."""

from __future__ import annotations

import sys

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task


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
