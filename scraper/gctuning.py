"""Fewer garbage collections in a crawl's process (a Scrapy extension).

Every request and response makes and drops Scrapy, Twisted and asyncio objects, and the heap
grows with the frontier. With Python's default thresholds (700, 10, 10) the collector ran
~900 times per 2,000 pages and took ~11% of the crawl process's CPU (bench/README.md). While
the crawl runs, what was loaded before it (modules, settings, the site profile) is frozen out
of every collection (`gc.freeze`), and the youngest generation is collected every
NEWSDELTA_GC_THRESHOLD allocations instead of 700. The older generations keep their ratios,
so cyclic garbage is still collected, only in fewer, larger passes. Both are undone when the
spider closes. NEWSDELTA_GC_THRESHOLD = 0 leaves the collector as it is, the cleaning
worker's too (`scraper.worker.main`, which has a threshold of its own).
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class GcTuning:
    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.saved: tuple[int, int, int] | None = None
        self.froze = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GcTuning:
        threshold = crawler.settings.getint("NEWSDELTA_GC_THRESHOLD")
        if threshold <= 0:
            raise NotConfigured
        extension = cls(threshold)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def engine_started(self) -> None:
        self.saved = gc.get_threshold()
        self.froze = gc.get_freeze_count() == 0  # a process that froze objects itself keeps them so
        if self.froze:
            gc.freeze()
        gc.set_threshold(self.threshold, *self.saved[1:])

    def spider_closed(self) -> None:
        if self.saved is not None:
            gc.set_threshold(*self.saved)
            self.saved = None
        if self.froze:
            gc.unfreeze()
            self.froze = False
