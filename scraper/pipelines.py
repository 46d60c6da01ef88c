"""Items → archive. Spiders never touch the database; these pipelines do.

`ValidatePipeline` drops what must not be archived (a second copy of the same article);
`ArchivePipeline` writes documents in batches, one transaction each, records failures, and
closes the crawl's row with Scrapy's stats and the end-of-crawl summary.

Batches are written by a process of their own (`scraper.writer`), one after another, while the
crawl goes on downloading and cleaning; a thread here hands each batch over and waits for it,
so the crawl's thread never waits on the archive (bench/README.md has the figures).
"""

from __future__ import annotations

import sys
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, cast

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.spiders import Spider
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from scraper.items import PAGES_READ, ArticleItem, FetchFailure, NotModified
from scraper.summary import ARCHIVED_ARTICLES, render_held_back, render_summary
from scraper.writer import ArchiveWriter, Batch, WriterConfig, Written
from storage.archive import Archive, Failure, Fetched, MassChangeGuard, RecheckPolicy
from storage.migrations import ArchiveError

if TYPE_CHECKING:
    from scraper.spiders.base import ArticleSpider
    from scraper.spiders.indbiz import SiteSpider

#: How a crawl's close reason is recorded in `crawls.status`.
STATUS_BY_REASON = {"finished": "ok", "shutdown": "interrupted", "cancelled": "interrupted"}


class ValidatePipeline:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def process_item(self, item: Any) -> Any:
        """One article once per crawl, whether its page or a 304 came first: two addresses
        can lead to one article (an old slug's redirect, a page naming another canonical URL),
        and counted twice it made the summary's counts add up to more articles than there are.
        Dropped at INFO: expected, a site-wide move included."""
        if isinstance(item, ArticleItem):
            url = item.document.url
            again = f"{item.fetched_url}: same canonical URL as an article already fetched ({url})"
        elif isinstance(item, NotModified):
            url = item.answered_at or item.url
            again = f"{url}: answered 304 after its page was fetched in this crawl"
        else:
            return item
        if url in self.seen:
            raise DropItem(again, log_level="INFO")
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
        self.batch = Batch()
        self.archive: Archive | None = None
        self.crawl_id = 0
        #: The process that writes the batches (`scraper.writer`).
        self.archive_writer: ArchiveWriter | None = None
        #: Hands batches to it one after another, off the crawl's thread.
        self.writer: ThreadPoolExecutor | None = None
        #: Set by the writer when the archive refused a write: later batches are dropped.
        self.broken = False
        #: Pages that failed to load or to clean, and the first of them.
        self.failures = 0
        self.first_failure: FetchFailure | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    @property
    def spider(self) -> ArticleSpider:
        """The crawl's spider: one of newsdelta's (Scrapy types it as any spider, or none yet)."""
        return cast("ArticleSpider", self.crawler.spider)

    def open_spider(self) -> None:
        spider = self.spider
        max_mb = self.crawler.settings.getfloat("NEWSDELTA_MAX_DB_MB")
        self.archive = Archive.open(self.path, max_mb=max_mb)
        self.crawl_id = self.archive.start_crawl(
            site=spider.site_name, mode=spider.mode, trigger=self.trigger, base_url=spider.base_url
        )
        self.archive_writer = ArchiveWriter(
            WriterConfig(str(self.path), self.crawl_id, max_mb, self.confirm_removal_after)
        )
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdelta-archive")
        spider.known = self.archive.known(spider.site_name)
        spider.page_dictionary = self.archive.page_dictionary(spider.base_url)
        self.crawler.stats.set_value(ARCHIVED_ARTICLES, len(spider.known.urls))
        if spider.mode == "recheck":  # only the site spider rechecks
            due = self.archive.due(spider.site_name, self.policy, everything=self.recheck_all)
            cast("SiteSpider", spider).due = due
            spider.logger.info("%d archived articles are due for a recheck", len(due))
        self.crawler.stats.set_value("newsdelta/crawl_id", self.crawl_id)
        spider.logger.info("archive %s: crawl %d started", self.path, self.crawl_id)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            self.batch.fetched.append(
                Fetched(
                    document=item.document,
                    page=item.page,
                    site=item.site,
                    encoding=item.encoding,
                    etag=item.etag,
                    last_modified=item.last_modified,
                    fetched_at=item.fetched_at,
                    page_dictionary=item.page_dictionary,
                )
            )
        elif isinstance(item, NotModified):
            self.batch.not_modified.append(item.url)
            if item.answered_at:
                self.batch.answered_at[item.url] = item.answered_at
        elif isinstance(item, FetchFailure):
            if item.gone:  # a removal, or its first sign: the archive decides, the summary counts it
                self.spider.logger.info("gone: %s (%s)", item.url, item.reason)
            else:
                self.spider.logger.warning("fetch failed: %s (%s)", item.url, item.reason)
            self.failures += 1
            self.first_failure = self.first_failure or item
            self.batch.failures.append(
                Failure(url=item.url, reason=item.reason, status=item.status, failed_at=item.failed_at, gone=item.gone)
            )
        if len(self.batch) >= self.batch_size:
            # The item is done when its batch is written: a crawl never runs far ahead of its archive.
            await maybe_deferred_to_future(self.flush())
        return item

    def flush(self) -> Deferred[None]:
        """Hand what is buffered to the writer; fires once it and every earlier batch are written.

        If the archive refuses (disk full, locked…), the crawl stops.
        """
        batch, self.batch = self.batch, Batch()
        done: Deferred[None] = Deferred()
        if self.archive is None or self.writer is None:
            done.callback(None)
            return done
        from twisted.internet import reactor

        def written(future: Future[Written]) -> None:
            try:
                result = future.result()
            except BaseException as error:  # a bug, not a refusal: Scrapy logs it with the item
                reactor.callFromThread(done.errback, error)  # type: ignore[attr-defined]
            else:
                reactor.callFromThread(self._written, result, done)  # type: ignore[attr-defined]

        self.writer.submit(self._write, batch).add_done_callback(written)
        return done

    def _written(self, result: Written, done: Deferred[None]) -> None:
        """Back in the crawl's thread: count what was written, or stop the crawl."""
        counts, error = result
        for key, count in counts.items():
            self.crawler.stats.inc_value(key, count)
        if error is not None and not self.crawler.stats.get_value("newsdelta/archive_error"):
            self.crawler.stats.set_value("newsdelta/archive_error", str(error))
            self.spider.logger.error("stopping the crawl: %s", error)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_error"))
        done.callback(None)

    def _write(self, batch: Batch) -> Written:
        """In the writer thread: one batch, written by the writer process."""
        if self.broken or self.archive_writer is None or not batch:
            return Counter(), None
        counts, error = self.archive_writer.write(batch)
        self.broken = error is not None
        return counts, error

    async def close_spider(self) -> None:
        await maybe_deferred_to_future(self.flush())

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.writer is not None:
            self.writer.shutdown(wait=True)
            self.writer = None
        if self.archive_writer is not None:
            self.archive_writer.close()
            self.archive_writer = None
        if self.archive is None:
            return
        stats = self.crawler.stats.get_stats()
        status = STATUS_BY_REASON.get(reason, "failed")
        why = self._nothing_read(getattr(spider, "base_url", ""), stats) if status == "ok" else ""
        try:
            row, held = self.archive.finish_crawl(
                self.crawl_id, status="failed" if why else status, stats=stats, guard=self.guard, error=why
            )
        except ArchiveError as error:  # the archive that stopped the crawl may refuse this too
            spider.logger.error("the crawl's row stays 'running' until the next crawl: %s", error)
            return
        finally:
            self.archive.close()
            self.archive = None
        if held:
            sys.stderr.write(render_held_back(row, held) + "\n")
        if self.print_summary:
            sys.stdout.write(render_summary(row) + "\n")
            sys.stdout.flush()

    def _nothing_read(self, base_url: str, stats: dict[str, Any]) -> str:
        """Why a crawl that ran to its end failed all the same: not one page of the site
        answered (it is down, refuses connections, serves errors only, or its robots.txt
        disallows everything asked for). "" otherwise."""
        if stats.get(PAGES_READ):
            return ""
        if first := self.first_failure:
            pages = "page" if self.failures == 1 else "pages"
            return (
                f"nothing could be read from {base_url}: {self.failures} {pages} failed, "
                f"the first {first.url}: {first.reason}"
            )
        if forbidden := stats.get("robotstxt/forbidden"):
            return f"nothing could be read from {base_url}: its robots.txt disallows every page asked for ({forbidden})"
        return ""
