"""Run one crawl, in a child process.

Twisted's reactor cannot be restarted, so every crawl the CLI, the demo or the scheduler starts
runs in a process of its own (`python -m scraper.runner`); its memory is returned when it ends.
The child reports its crawl id back through a pipe (named to it as `/dev/fd/N`): nothing is
left on disk when either side is killed. The archive holds everything else.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scraper.lock import EXIT_LOCKED, CrawlLock, CrawlLocked
from storage.archive import Archive
from storage.migrations import ArchiveError

#: After asking a crawl to stop (SIGTERM: Scrapy closes it cleanly), how long before SIGKILL.
STOP_GRACE_S = 30.0

#: Spider used for each mode.
SPIDERS = {"full": "site", "latest": "site", "recheck": "site", "urls": "urls"}


class CrawlError(RuntimeError):
    """The crawl process could not run or died before finishing."""


@dataclass(frozen=True)
class CrawlOptions:
    db: str = "archive.db"
    site: str = "indbiz"
    mode: str = "full"
    base_url: str | None = None
    urls: Sequence[str] = ()
    trigger: str = "cli"
    #: Scrapy settings on top of `scraper.settings` (e.g. LOG_LEVEL).
    settings: dict[str, Any] = field(default_factory=dict)
    #: How long to wait for another crawl of the same archive to finish before giving up.
    lock_wait: float = 0.0
    #: Stop the crawl (cleanly, as `interrupted`) after this many seconds.
    time_limit: float | None = None

    def spider_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"site": self.site, "base_url": self.base_url}
        if self.mode == "urls":
            args["urls"] = list(self.urls)
        else:
            args["mode"] = self.mode
        return args


def scrapy_settings(overrides: dict[str, Any] | None = None) -> Any:
    """`scraper.settings` plus overrides, wherever the process was started from."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    settings.update(overrides or {}, priority="cmdline")
    return settings


def crawl_here(options: CrawlOptions) -> int:
    """Run the crawl in this process (once per process: the reactor cannot restart)."""
    from scrapy.crawler import CrawlerProcess

    settings = scrapy_settings(
        {"NEWSDELTA_DB": options.db, "NEWSDELTA_TRIGGER": options.trigger, "NEWSDELTA_PARENT_PID": os.getppid(), **options.settings}
    )
    with CrawlLock(options.db, options.lock_wait):
        with Archive.open(options.db) as archive:
            archive.mark_dead_runs()
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(SPIDERS[options.mode])
        process.crawl(crawler, **options.spider_args())
        process.start()
    if error := crawler.stats.get_value("newsdelta/archive_error"):
        raise ArchiveError(error)
    return int(crawler.stats.get_value("newsdelta/crawl_id", 0))


def run_crawl(options: CrawlOptions, stop: threading.Event | None = None) -> dict[str, Any]:
    """Run one crawl in a child process and return its `crawls` row.

    The crawl is stopped cleanly (SIGTERM; its row says `interrupted`) when `options.time_limit`
    passes or `stop` is set; killed if it has not stopped `STOP_GRACE_S` later.
    """
    readable, writable = os.pipe()
    with os.fdopen(readable) as result:
        try:
            command = [sys.executable, "-m", "scraper.runner", json.dumps(asdict(options)), f"/dev/fd/{writable}"]
            child = subprocess.Popen(command, pass_fds=[writable])
        finally:
            os.close(writable)  # the child has its own: the pipe ends when the child does
        exit_code = _wait(child, options.time_limit, stop)
        outcome = json.loads(result.read() or "{}")  # a few bytes, which the pipe holds
    if exit_code == EXIT_LOCKED:
        raise CrawlLocked(outcome.get("locked", "another crawl is running on this archive"))
    if "error" in outcome:
        raise ArchiveError(outcome["error"])
    if not outcome.get("crawl_id"):
        raise CrawlError(f"the crawl process ended with exit code {exit_code} before starting a crawl")
    with Archive.open(options.db, readonly=True) as archive:
        return archive.crawl(outcome["crawl_id"])


def _wait(child: subprocess.Popen[bytes], time_limit: float | None, stop: threading.Event | None) -> int:
    """The crawl's exit code, once it has ended (stopped as `run_crawl` says).

    Ctrl-C in a terminal reaches the crawl too (one process group), and Scrapy stops it
    cleanly: this side waits for it to record itself `interrupted` and report, rather than
    leave it reporting to no one. A second Ctrl-C stops it now,
    as Scrapy's own second Ctrl-C does.
    """
    deadline = time.monotonic() + time_limit if time_limit else None
    interrupted = False
    while True:
        try:
            return child.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            pass
        except KeyboardInterrupt:
            if interrupted:
                child.terminate()
            interrupted = True
        if (deadline and time.monotonic() > deadline) or (stop and stop.is_set()):
            child.terminate()
            try:
                return child.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                child.kill()
                return child.wait()


def main(argv: Sequence[str]) -> None:
    """The child: `python -m scraper.runner OPTIONS_JSON RESULT_FILE`."""
    options = CrawlOptions(**json.loads(argv[0]))
    result = Path(argv[1])
    try:
        crawl_id = crawl_here(options)
    except CrawlLocked as locked:
        _report(result, {"locked": str(locked)})
        sys.exit(EXIT_LOCKED)
    except ArchiveError as error:
        _report(result, {"error": str(error)})
        sys.exit(1)
    own = resource.getrusage(resource.RUSAGE_SELF)  # this process's threads, not its helpers
    _report(result, {"crawl_id": crawl_id, "cpu_s": own.ru_utime + own.ru_stime})


def _report(result: Path, outcome: dict[str, Any]) -> None:
    """Tell the parent (a file, or its pipe as /dev/fd/N); a parent gone has closed the pipe,
    and there is no one left to tell."""
    with contextlib.suppress(BrokenPipeError):
        result.write_text(json.dumps(outcome))


def scrape_here(urls: Sequence[str], site: str = "indbiz") -> list[Any]:
    """Fetch and clean `urls` in this process, archiving nothing: ArticleItems and FetchFailures."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    settings = scrapy_settings(
        {"ITEM_PIPELINES": {}, "EXTENSIONS": {"scraper.extensions.Progress": None}, "LOG_ENABLED": False}
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("urls")
    items: list[Any] = []
    crawler.signals.connect(lambda item: items.append(item), signal=signals.item_scraped, weak=False)
    process.crawl(crawler, urls=list(urls), site=site)
    process.start()
    order = {url: index for index, url in enumerate(urls)}
    return sorted(items, key=lambda item: order.get(getattr(item, "requested_url", getattr(item, "url", "")), len(order)))


if __name__ == "__main__":
    main(sys.argv[1:])
