"""Items → archive. Spiders never touch the database; these pipelines do.

`ValidatePipeline` drops what must not be archived (a second copy of the same canonical URL);
`ArchivePipeline` writes documents in batches, one transaction each, records failures, and
closes the crawl's row with Scrapy's stats and the end-of-crawl summary.
"""

from __future__ import annotations

import sys
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.spiders import Spider
from scrapy.utils.defer import deferred_from_coro

from scraper.items import ArticleItem, FetchFailure, NotModified
from scraper.summary import render_held_back, render_summary
from storage.archive import Archive, Failure, Fetched, MassChangeGuard, RecheckPolicy
from storage.migrations import ArchiveError

#: How a crawl's close reason is recorded in `crawls.status`.
STATUS_BY_REASON = {"finished": "ok", "shutdown": "interrupted", "cancelled": "interrupted"}


class ValidatePipeline:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            url = item.document.url
            if url in self.seen:
                raise DropItem(f"{item.fetched_url}: same canonical URL as an article already fetched ({url})")
            self.seen.add(url)
        return item


class ArchivePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.path = settings.get("NEWSDELTA_DB")
        self.trigger = settings.get("NEWSDELTA_TRIGGER")
        self.batch_size = settings.getint("NEWSDELTA_BATCH_SIZE")
        self.print_summary = settings.getbool("NEWSDELTA_SUMMARY")
        self.confirm_removal_after = settings.getfloat("NEWSDELTA_REMOVAL_CONFIRM_S")
        self.guard = MassChangeGuard(
            share=settings.getfloat("NEWSDELTA_GUARD_SHARE"), min_articles=settings.getint("NEWSDELTA_GUARD_MIN")
        )
        intervals = settings.getdict("NEWSDELTA_RECHECK_HOURS")
        self.policy = RecheckPolicy(**{key: float(value) for key, value in intervals.items()})
        self.recheck_all = settings.getbool("NEWSDELTA_RECHECK_ALL")
        self.fetched: list[Fetched] = []
        self.failures: list[Failure] = []
        self.not_modified: list[NotModified] = []
        self.archive: Archive | None = None
        self.crawl_id = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.archive = Archive.open(self.path, max_mb=self.crawler.settings.getfloat("NEWSDELTA_MAX_DB_MB"))
        self.crawl_id = self.archive.start_crawl(
            site=spider.site_name, mode=spider.mode, trigger=self.trigger, base_url=spider.base_url
        )
        spider.known = self.archive.known(spider.site_name)
        if spider.mode == "recheck":
            spider.due = self.archive.due(spider.site_name, self.policy, everything=self.recheck_all)
            spider.logger.info("%d archived articles are due for a recheck", len(spider.due))
        self.crawler.stats.set_value("newsdelta/crawl_id", self.crawl_id)
        spider.logger.info("archive %s: crawl %d started", self.path, self.crawl_id)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            self.fetched.append(
                Fetched(
                    document=item.document,
                    html=item.html,
                    site=item.site,
                    encoding=item.encoding,
                    etag=item.etag,
                    last_modified=item.last_modified,
                    fetched_at=item.fetched_at,
                )
            )
        elif isinstance(item, NotModified):
            self.not_modified.append(item)
        elif isinstance(item, FetchFailure):
            self.crawler.spider.logger.warning("fetch failed: %s (%s)", item.url, item.reason)
            self.failures.append(
                Failure(url=item.url, reason=item.reason, status=item.status, failed_at=item.failed_at, gone=item.gone)
            )
        if len(self.fetched) + len(self.failures) + len(self.not_modified) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        """Write what is buffered; if the archive refuses (disk full, locked…), stop the crawl."""
        if self.archive is None:
            return
        try:
            self._write()
        except ArchiveError as error:
            self.fetched, self.failures, self.not_modified = [], [], []
            self.crawler.stats.set_value("newsdelta/archive_error", str(error))
            self.crawler.spider.logger.error("stopping the crawl: %s", error)
            self.archive.close()
            self.archive = None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_error"))

    def _write(self) -> None:
        assert self.archive is not None
        stats = self.crawler.stats
        if self.fetched:
            for outcome in self.archive.record(self.crawl_id, self.fetched):
                stats.inc_value(f"newsdelta/{outcome.kind}")
            self.fetched = []
        if self.not_modified:
            self.archive.touch(self.crawl_id, [item.url for item in self.not_modified])
            stats.inc_value("newsdelta/not_modified", len(self.not_modified))
            self.not_modified = []
        if self.failures:
            removed = self.archive.record_failures(self.crawl_id, self.failures, confirm_after_s=self.confirm_removal_after)
            stats.inc_value("newsdelta/removed", removed)
            stats.inc_value("newsdelta/failed", len(self.failures) - removed)
            self.failures = []

    def close_spider(self) -> None:
        self.flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.archive is None:
            return
        stats = self.crawler.stats.get_stats()
        status = STATUS_BY_REASON.get(reason, "failed")
        row, held = self.archive.finish_crawl(self.crawl_id, status=status, stats=stats, guard=self.guard)
        self.archive.close()
        self.archive = None
        if held:
            sys.stderr.write(render_held_back(row, held) + "\n")
        if self.print_summary:
            sys.stdout.write(render_summary(row) + "\n")
            sys.stdout.flush()
