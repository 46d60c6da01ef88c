"""The bench's table: one row per figure, one column per size, the growth, the target, PASS/FAIL.

Rows are data (`ROWS`): `tests/test_bench.py` checks that every label is printed. A target is
checked at every size (all must pass); a growth target on the growth from the smallest to the
largest size, scaled to the size ratio (issue 8: ≤ 11× in time for 10× the articles).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

Figures = dict[str, float]


@dataclass(frozen=True)
class Target:
    text: str
    passes: Callable[[float], bool]


@dataclass(frozen=True)
class GrowthTarget:
    """The growth allowed from the smallest to the largest size, given the ratio of their sizes."""

    text: str
    allowed: Callable[[float], float]


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    fmt: str = "{:,.0f}"
    target: Target | None = None
    growth: GrowthTarget | None = None
    #: Whether the growth column compares the sizes (not for how a figure was measured).
    grows: bool = True


def at_least(limit: float, text: str) -> Target:
    return Target(text, lambda value: value >= limit)


def at_most(limit: float, text: str) -> Target:
    return Target(text, lambda value: value <= limit)


#: Time may grow 1.1× as fast as the number of articles (11× for 10×).
TIME_GROWTH = GrowthTarget("≤ 1.1 × size ratio (11× for 10×)", lambda ratio: 1.1 * ratio)
#: Memory may at most double, whatever the size ratio.
RSS_GROWTH = GrowthTarget("≤ 2×", lambda ratio: 2.0)

SECTIONS: list[tuple[str, list[Row]]] = [
    (
        "1. Full crawl (same pages, same URLs)",
        [
            Row("full.pages_per_s", "newsdelta full crawl, article pages/s", "{:,.1f}"),
            Row("bare.pages_per_s", "bare Scrapy spider, article pages/s, before the full crawl", "{:,.1f}"),
            Row("bare_after.pages_per_s", "… and after it", "{:,.1f}"),
            Row(
                "full_vs_bare",
                "ratio newsdelta / bare (pages/s; the bare spider's two runs averaged)",
                "{:.2f}×",
                at_least(0.7, "≥ 0.70×"),
            ),
            Row(
                "full_vs_bare.rounds",
                "rounds of bare, full, bare (the figures above and below: the median round's)",
                grows=False,
            ),
            Row("full_vs_bare.lowest", "… ratio in the lowest round", "{:.2f}×", grows=False),
            Row("full_vs_bare.highest", "… in the highest round", "{:.2f}×", grows=False),
            Row("full.crawl_s", "newsdelta crawl time, s", "{:,.1f}", growth=TIME_GROWTH),
            Row("bare.crawl_s", "bare crawl time, s", "{:,.1f}"),
            Row("full.cpu_ms_per_page", "newsdelta CPU ms per page (all processes)", "{:.2f}"),
            Row(
                "full.process_cpu_ms_per_page",
                "… of which the crawl's own process (Scrapy, items, hand-overs)",
                "{:.2f}",
            ),
            Row("bare.cpu_ms_per_page", "bare CPU ms per page, before the full crawl", "{:.2f}"),
            Row("bare_after.cpu_ms_per_page", "… after the full crawl", "{:.2f}"),
            Row(
                "full.idle_share",
                "machine's CPU idle while newsdelta crawled (all cores, engine start to close)",
                "{:.0%}",
            ),
            Row("bare.idle_share", "… while the bare spider crawled, before the full crawl", "{:.0%}"),
            Row("full.rss_mb", "newsdelta peak RSS, MB", "{:,.0f}", growth=RSS_GROWTH),
            Row("bare.rss_mb", "bare peak RSS, MB", "{:,.0f}"),
            Row("page.bytes", "article page, bytes", "{:,.0f}"),
            Row(
                "server.cpu_share",
                "page server's CPU, share of one core (max)",
                "{:.0%}",
                at_most(0.5, "≤ 50%"),
            ),
        ],
    ),
    (
        "2. No-change recheck of every article",
        [
            Row("recheck.wall_s", "newsdelta recheck wall time, s", "{:,.1f}", growth=TIME_GROWTH),
            Row("recheck.requests", "newsdelta recheck requests", "{:,.0f}"),
            Row("recheck.article_304", "article requests answered 304", "{:,.0f}"),
            Row(
                "recheck.article_200", "article bodies fetched (200)", "{:,.0f}", at_most(0, "= 0")
            ),
            Row("recheck.recorded", "documents parsed and recorded", "{:,.0f}", at_most(0, "= 0")),
            Row(
                "recheck.writes", "archive writes beyond last_checked", "{:,.0f}", at_most(0, "= 0")
            ),
            Row("recheck.requests_per_s", "newsdelta recheck requests/s", "{:,.0f}"),
            Row("bare_cond.requests_per_s", "bare conditional requests/s", "{:,.0f}"),
            Row(
                "recheck_vs_bare_cond",
                "ratio newsdelta / bare conditional (req/s)",
                "{:.2f}×",
                at_least(0.7, "≥ 0.70×"),
            ),
            Row("recheck.bytes", "newsdelta recheck bytes received", "{:,.0f}"),
            Row("bare_cond.bytes", "bare conditional bytes received", "{:,.0f}"),
            Row("full.bytes", "full crawl bytes received", "{:,.0f}"),
            Row(
                "recheck_bytes_share",
                "recheck bytes / full crawl bytes",
                "{:.2%}",
                at_most(0.02, "≤ 2%"),
            ),
            Row("recheck_vs_full_time", "recheck wall time / full crawl wall time", "{:.2f}×"),
            Row("recheck.rss_mb", "newsdelta recheck peak RSS, MB", "{:,.0f}", growth=RSS_GROWTH),
        ],
    ),
    (
        "3. Cleaning (same article pages, one core)",
        [
            Row(
                "clean.newsdelta.median_ms",
                "newsdelta clean(), median ms",
                "{:.2f}",
                at_most(3.0, "≤ 3 ms"),
            ),
            Row("clean.newsdelta.p90_ms", "newsdelta clean(), p90 ms", "{:.2f}"),
            Row("clean.newsdelta.pages_per_s", "newsdelta clean(), pages/s", "{:,.0f}"),
            Row("clean.lxml.median_ms", "lxml.html parse (floor), median ms", "{:.2f}"),
            Row("clean.lxml.p90_ms", "lxml.html parse, p90 ms", "{:.2f}"),
            Row("clean.lxml.pages_per_s", "lxml.html parse, pages/s", "{:,.0f}"),
            Row("clean.trafilatura.median_ms", "trafilatura.extract (peer), median ms", "{:.2f}"),
            Row("clean.trafilatura.p90_ms", "trafilatura.extract, p90 ms", "{:.2f}"),
            Row("clean.trafilatura.pages_per_s", "trafilatura.extract, pages/s", "{:,.0f}"),
            Row(
                "clean_vs_lxml",
                "ratio clean() / lxml parse (median)",
                "{:.1f}×",
                at_most(4.0, "≤ 4×"),
            ),
            Row(
                "clean_vs_trafilatura",
                "ratio clean() / trafilatura (median)",
                "{:.2f}×",
                Target("< 1×", lambda v: v < 1),
            ),
        ],
    ),
    (
        "4. Archive writes",
        [
            Row(
                "archive.versions_per_cpu_s",
                "versions/s written in the full crawl (FTS on, page compression included), per CPU s",
                "{:,.0f}",
                at_least(2000, "≥ 2,000/s"),
            ),
            Row(
                "archive.cpu_share",
                "archive writes' share of the full crawl's CPU (all processes)",
                "{:.0%}",
            ),
            Row("classify.count", "fetched articles classified new/edited/unchanged", "{:,.0f}"),
            Row("classify.s", "time to classify them, s", "{:.3f}", growth=TIME_GROWTH),
            Row(
                "classify.per_s",
                "classified per second",
                "{:,.0f}",
                at_least(20000, "≥ 20,000/s (20,000 in ≤ 1 s)"),
            ),
        ],
    ),
    (
        "5. Archive size",
        [
            Row("archive.bytes_per_version", "archive file bytes per article version", "{:,.0f}"),
            Row("archive.html_z_bytes", "stored page (zstd, against a page of the site) bytes per version", "{:,.0f}"),
        ],
    ),
]

ROWS: list[Row] = [row for _, rows in SECTIONS for row in rows]


def _verdict(row: Row, runs: Sequence[Figures]) -> str:
    verdicts = []
    if row.target is not None:
        failed = [f"{run['articles']:,.0f}" for run in runs if not row.target.passes(run[row.key])]
        verdicts.append(f"FAIL ({', '.join(failed)})" if failed else "PASS")
    if row.growth is not None and len(runs) > 1:
        growth = runs[-1][row.key] / runs[0][row.key] if runs[0][row.key] else float("inf")
        allowed = row.growth.allowed(runs[-1]["articles"] / runs[0]["articles"])
        verdicts.append(
            "PASS" if growth <= allowed else f"FAIL (growth {growth:.1f}× > {allowed:.1f}×)"
        )
    failures = [verdict for verdict in verdicts if verdict != "PASS"]
    return "; ".join(failures) if failures else "PASS" if verdicts else ""


def render(runs: Sequence[Figures]) -> str:
    """The table, as Markdown (readable in a terminal and in bench/README.md)."""
    runs = sorted(runs, key=lambda run: run["articles"])
    sizes = [f"{run['articles']:,.0f} articles" for run in runs]
    growth_header = (
        [f"growth {runs[0]['articles']:,.0f}→{runs[-1]['articles']:,.0f}"] if len(runs) > 1 else []
    )
    header = ["figure", *sizes, *growth_header, "target", "verdict"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for title, rows in SECTIONS:
        lines.append(f"| **{title}** |" + " |" * (len(header) - 1))
        for row in rows:
            cells = [row.label, *(row.fmt.format(run[row.key]) for run in runs)]
            if growth_header:
                first, last = runs[0][row.key], runs[-1][row.key]
                cells.append(f"{last / first:.2f}×" if first and row.grows else "–")
            targets = [row.target.text] if row.target else []
            targets += [f"growth {row.growth.text}"] if row.growth else []
            cells += ["; ".join(targets), _verdict(row, runs)]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
