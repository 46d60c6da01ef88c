"""The crawls the bench times side by side against the same pages.

- `full`: newsdelta's full crawl, through the product path (`scraper.runner`, the site spider,
  the pipelines, the archive writer), into a fresh archive;
- `bare`: the bare Scrapy spider over the same pages (the ceiling), once before the full crawl
  and once after it (`bare_after`);
- `recheck`: newsdelta's `--mode recheck --all` of that archive, the site unchanged;
- `bare_conditional`: the bare spider sending the same conditional requests.

Each is one child process; the figures are its own (`bench.child`) plus what the server saw.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.child import ChildRun, idle_share, run_child
from bench.server import PageServer, Served
from scraper.runner import CrawlOptions

#: What `Archive.record` can make of a fetched document (Scrapy stats `newsdelta/<kind>`).
RECORD_OUTCOMES = ("new", "edited", "unchanged", "restored", "recleaned")

#: The CLI's `--quiet` crawl: no progress lines, no summary, warnings only.
QUIET = {"LOG_LEVEL": "WARNING", "NEWSDELTA_PROGRESS_INTERVAL": 0, "NEWSDELTA_SUMMARY": False}


@dataclass(frozen=True)
class Crawl:
    """One timed crawl: the process's figures, the server's counts, Scrapy's stats."""

    name: str
    run: ChildRun
    served: Served
    #: Scrapy's `elapsed_time_seconds`: engine start to close, without interpreter start-up.
    elapsed_s: float
    #: CPU the page server's thread used meanwhile (it must stay far from one core).
    server_cpu_s: float
    stats: dict[str, Any] = field(default_factory=dict)
    #: CPU of the crawl's own process (Scrapy, items, hand-overs), without its helper processes.
    process_cpu_s: float = 0.0

    @property
    def article_pages(self) -> int:
        """Article bodies fetched (200s)."""
        return self.served.count("article", 200)

    @property
    def requests(self) -> int:
        return self.served.count()

    @property
    def pages_per_s(self) -> float:
        return self.article_pages / self.elapsed_s

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.elapsed_s

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.run.cpu_s / max(1, self.served.count("article"))

    @property
    def process_cpu_ms_per_page(self) -> float:
        return 1000 * self.process_cpu_s / max(1, self.served.count("article"))

    @property
    def idle_share(self) -> float:
        """The machine's idle CPU between Scrapy's start and finish of this crawl."""
        start, finish = (datetime.fromisoformat(str(self.stats[key])) for key in ("start_time", "finish_time"))
        return idle_share(self.run.cpu_samples, start.timestamp(), finish.timestamp())

    @property
    def recorded(self) -> int:
        """Documents the archive classified (a 304 is not one: it only moves `last_checked`)."""
        return sum(int(self.stats.get(f"newsdelta/{kind}", 0)) for kind in RECORD_OUTCOMES)

    @property
    def versions_written(self) -> int:
        return sum(int(self.stats.get(f"newsdelta/{kind}", 0)) for kind in ("new", "edited", "restored"))

    @property
    def archive_cpu_s(self) -> float:
        """CPU the archive's writes took: the writer process's (`scraper.writer.write_batch`),
        and compressing the pages, which the cleaning worker does (`scraper.cleaning`)."""
        return float(self.stats.get("newsdelta/archive_cpu_s", 0.0)) + float(
            self.stats.get("newsdelta/page_compress_cpu_s", 0.0)
        )


def _elapsed(stats: dict[str, Any], run: ChildRun) -> float:
    return float(stats.get("elapsed_time_seconds") or run.wall_s)


def newsdelta_crawl(server: PageServer, db: Path, work: Path, mode: str) -> Crawl:
    """A newsdelta crawl of `server` into `db` (`mode` full, or recheck of every live article)."""
    settings = {**QUIET, "NEWSDELTA_RECHECK_ALL": mode == "recheck"}
    options = CrawlOptions(
        db=str(db), mode=mode, base_url=server.url, settings=settings, trigger="cli"
    )
    result = work / f"{mode}.result.json"
    server.reset()
    cpu = server.cpu_seconds()
    run = run_child("scraper.runner", [json.dumps(asdict(options)), str(result)], work / f"{mode}.log")
    served, server_cpu = server.reset(), server.cpu_seconds() - cpu
    outcome = json.loads(result.read_text())
    stats = _crawl_stats(db, outcome["crawl_id"])
    return Crawl(mode, run, served, _elapsed(stats, run), server_cpu, stats, outcome["cpu_s"])


def bare_crawl(server: PageServer, work: Path, validators: Path | None = None, name: str = "") -> Crawl:
    """The bare spider: a full walk, or (with `validators`) conditional requests per article.

    `name` names its log and stats files (default: `bare`, or `bare_conditional`).
    """
    name = name or ("bare_conditional" if validators else "bare")
    config = {
        "base_url": server.url,
        "mode": "conditional" if validators else "full",
        "validators": str(validators or ""),
    }
    stats_file = work / f"{name}.stats.json"
    server.reset()
    cpu = server.cpu_seconds()
    run = run_child("bench.bare", [json.dumps(config), str(stats_file)], work / f"{name}.log")
    served, server_cpu = server.reset(), server.cpu_seconds() - cpu
    stats = json.loads(stats_file.read_text())
    return Crawl(name, run, served, _elapsed(stats, run), server_cpu, stats)


def _crawl_stats(db: Path, crawl_id: int) -> dict[str, Any]:
    from storage.archive import Archive

    with Archive.open(db, readonly=True) as archive:
        row = archive.crawl(crawl_id)
    return {
        **json.loads(row["stats"] or "{}"),
        "crawl_row": {k: v for k, v in row.items() if k != "stats"},
    }
