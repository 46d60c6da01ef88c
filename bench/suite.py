"""Everything issue 8 measures, for one size of the stand-in, side by side in one run.

The order is fixed: the bare spider, newsdelta's full crawl (a fresh archive), the bare spider
again, newsdelta's no-change recheck of that archive, the bare spider's conditional recheck;
then cleaning on a
sample of the same pages, classification and size from the same archive. All crawls fetch
from one `PageServer` holding the synthetic site pre-rendered with the stand-in's templates.

A small size's first three crawls (bare, full, bare) take a few seconds, where the machine's
speed drifts by several percent: their ratio moved from 0.68x to 0.79x between runs of one
hour (bench/README.md, twelfth round). They are run `rounds` times; the table takes every
figure of the round whose ratio is the median, and shows the lowest and highest ratio beside it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.archive_facts import fingerprint, size, write_validators
from bench.classify import time_classification
from bench.cleaning import time_cleaning
from bench.crawls import Crawl, bare_crawl, newsdelta_crawl
from bench.prerender import prerender
from bench.server import PageServer
from scraper.standin import StandinSite
from scraper.standin.synthetic import synthetic_articles

#: Article pages the cleaning figures are taken on (spread over the whole site).
CLEANING_SAMPLE = 300

Figures = dict[str, float]


def measure(
    articles: int, work: Path, say: Callable[[str], None] = lambda line: None, rounds: int = 1
) -> Figures:
    """Run every measurement on a synthetic stand-in of `articles` articles; the full crawl and
    its ceiling `rounds` times (the archive of the last round is the one measured further)."""
    work.mkdir(parents=True, exist_ok=True)
    db = work / "archive.db"
    start = time.perf_counter()
    site = StandinSite(synthetic_articles(articles))
    with PageServer() as server:
        server.pages = prerender(site, server.url)
        say(
            f"{articles:,} articles: {len(server.pages):,} pages rendered"
            f" in {time.perf_counter() - start:.1f} s"
        )
        trios = sorted((_full_and_bare(server, db, work, say) for _ in range(rounds)), key=_ratio)
        if rounds > 1:
            say(f"  ratio newsdelta / bare in {rounds} rounds: " + ", ".join(f"{_ratio(t):.2f}" for t in trios))
        bare, full, bare_after = trios[(len(trios) - 1) // 2]  # of an even number, the lower
        before = fingerprint(db)
        write_validators(db, work / "validators.json")
        recheck = _step(
            say,
            "newsdelta recheck, nothing changed",
            lambda: newsdelta_crawl(server, db, work, "recheck"),
        )
        after = fingerprint(db)
        conditional = _step(
            say,
            "bare spider, conditional requests",
            lambda: bare_crawl(server, work, work / "validators.json"),
        )
        pages = _sample(server, CLEANING_SAMPLE)
    del site
    say(f"cleaning {len(pages)} pages with each extractor")
    cleaning = time_cleaning(pages)
    classified = time_classification(db)
    stored = size(db)

    figures: Figures = {"articles": articles}
    for name, crawl in (
        ("full", full),
        ("bare", bare),
        ("bare_after", bare_after),
        ("recheck", recheck),
        ("bare_cond", conditional),
    ):
        figures.update(_crawl_figures(name, crawl))
    figures.update(
        {
            "full_vs_bare": _ratio((bare, full, bare_after)),
            "full_vs_bare.rounds": rounds,
            "full_vs_bare.lowest": _ratio(trios[0]),
            "full_vs_bare.highest": _ratio(trios[-1]),
            "full.process_cpu_ms_per_page": full.process_cpu_ms_per_page,
            "full.idle_share": full.idle_share,
            "bare.idle_share": bare.idle_share,
            "recheck_vs_bare_cond": recheck.requests_per_s / conditional.requests_per_s,
            "recheck_bytes_share": recheck.served.sent() / full.served.sent(),
            "recheck_vs_full_time": recheck.run.wall_s / full.run.wall_s,
            "recheck.article_304": recheck.served.count("article", 304),
            "recheck.recorded": recheck.recorded,
            "recheck.writes": after.writes_since(before),
            "archive.versions_per_cpu_s": full.versions_written / full.archive_cpu_s,
            "archive.cpu_share": full.archive_cpu_s / full.run.cpu_s,
            "classify.count": classified.count,
            "classify.s": classified.seconds,
            "classify.per_s": classified.per_s,
            "archive.bytes_per_version": stored.bytes_per_version,
            "archive.html_z_bytes": stored.html_z_bytes,
            "page.bytes": full.served.sent("article", 200) / max(1, full.article_pages),
            "server.cpu_share": max(
                c.server_cpu_s / c.elapsed_s for c in (full, bare, bare_after, recheck, conditional)
            ),
        }
    )
    for name, timing in cleaning.items():
        figures[f"clean.{name}.median_ms"] = timing.median_ms
        figures[f"clean.{name}.p90_ms"] = timing.p90_ms
        figures[f"clean.{name}.pages_per_s"] = timing.pages_per_s
    figures["clean_vs_lxml"] = cleaning["newsdelta"].median_ms / cleaning["lxml"].median_ms
    figures["clean_vs_trafilatura"] = (
        cleaning["newsdelta"].median_ms / cleaning["trafilatura"].median_ms
    )
    say(f"{articles:,} articles measured in {time.perf_counter() - start:.0f} s")
    return figures


def _crawl_figures(name: str, crawl: Crawl) -> Figures:
    return {
        f"{name}.pages_per_s": crawl.pages_per_s,
        f"{name}.requests_per_s": crawl.requests_per_s,
        f"{name}.cpu_ms_per_page": crawl.cpu_ms_per_page,
        f"{name}.rss_mb": crawl.run.peak_rss_mb,
        f"{name}.crawl_s": crawl.elapsed_s,
        f"{name}.wall_s": crawl.run.wall_s,
        f"{name}.requests": crawl.requests,
        f"{name}.article_200": crawl.article_pages,
        f"{name}.bytes": crawl.served.sent(),
    }


def _full_and_bare(server: PageServer, db: Path, work: Path, say: Callable[[str], None]) -> tuple[Crawl, Crawl, Crawl]:
    """The bare spider, newsdelta's full crawl into a fresh `db`, the bare spider again."""
    for stale in db.parent.glob(f"{db.name}*"):
        stale.unlink()
    bare = _step(say, "bare spider, full walk", lambda: bare_crawl(server, work))
    full = _step(say, "newsdelta full crawl", lambda: newsdelta_crawl(server, db, work, "full"))
    # The machine's speed drifts from minute to minute: the ceiling is measured on both sides.
    bare_after = _step(
        say, "bare spider again, after the full crawl", lambda: bare_crawl(server, work, name="bare_after")
    )
    return bare, full, bare_after


def _ratio(trio: tuple[Crawl, Crawl, Crawl]) -> float:
    """The full crawl's pages/s over the bare spider's, its runs before and after averaged."""
    bare, full, bare_after = trio
    return full.pages_per_s / ((bare.pages_per_s + bare_after.pages_per_s) / 2)


def _step(say: Callable[[str], None], what: str, run: Callable[[], Crawl]) -> Crawl:
    crawl = run()
    say(
        f"  {what}: {crawl.requests:,} requests in {crawl.elapsed_s:.1f} s,"
        f" peak RSS {crawl.run.peak_rss_mb:.0f} MB"
    )
    return crawl


def _sample(server: PageServer, count: int) -> list[tuple[str, bytes]]:
    articles = [(path, page) for path, page in server.pages.items() if page.kind == "article"]
    step = max(1, len(articles) // count)
    return [(server.url + path, b"".join(page.body)) for path, page in articles[::step][:count]]


def stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
