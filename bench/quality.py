"""Extraction quality: newsdelta's generic fallback against trafilatura and readability-lxml.

`python -m bench.quality [--pages DIR] [--smoke] [--per-page]` runs each extractor over the
stored real-world article pages (`bench/pages/`), scores each body against the page's expected
body by token overlap (`bench.quality_score`), and prints one row per extractor: mean
precision, recall and F1 over the pages, and the median time per page. The target of issue 7
is the fallback's F1 at least trafilatura's; the last line says PASS or FAIL.

Exit status: 0 when every extractor ran on every page (whatever the scores), 1 when one
crashed (the table is printed all the same, the crash named on stderr).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from bench.quality_corpus import PAGES, Page, load_pages
from bench.quality_extractors import EXTRACTORS, Extractor
from bench.quality_score import Score, mean_score, score

#: Pages of a `--smoke` run: enough to run every extractor, quick enough for the test suite.
SMOKE_PAGES = 3
OURS, PEER = "newsdelta fallback", "trafilatura"


@dataclass
class Result:
    """One extractor over the corpus: a score and a time per page, and what crashed."""

    extractor: str
    scores: dict[str, Score] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)

    @property
    def mean(self) -> Score:
        return mean_score(self.scores.values())

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000 if self.seconds else 0.0


def run(pages: list[Page], extractors: dict[str, Extractor] = EXTRACTORS) -> list[Result]:
    """Every extractor on every page. A crash scores as empty output and is recorded."""
    results = []
    for name, extract in extractors.items():
        result = Result(name)
        for page in pages:
            text = _timed(extract, page, result)
            result.scores[page.name] = score(page.expected_text, text)
        results.append(result)
    return results


def _timed(extract: Extractor, page: Page, result: Result) -> str:
    started = time.perf_counter()
    try:
        text = extract(page.html, page.url)
    except Exception:  # a crash is a finding of the benchmark, not its end
        text = ""
        result.crashes.append(
            f"{result.extractor} crashed on {page.name}:\n{traceback.format_exc()}"
        )
    result.seconds.append(time.perf_counter() - started)
    return text


def table(results: list[Result]) -> str:
    """The summary: one row per extractor."""
    lines = [
        f"{'extractor':<20} {'precision':>9} {'recall':>9} {'F1':>9} {'pages':>6} {'ms/page':>8}"
    ]
    for result in results:
        mean = result.mean
        lines.append(
            f"{result.extractor:<20} {mean.precision:>9.3f} {mean.recall:>9.3f} {mean.f1:>9.3f} "
            f"{len(result.scores):>6} {result.median_ms:>8.1f}"
        )
    return "\n".join(lines)


def per_page_table(results: list[Result]) -> str:
    """F1 of each extractor on each page: where the averages come from."""
    names = list(results[0].scores) if results else []
    lines = [f"{'page':<32}" + "".join(f" {r.extractor[:18]:>18}" for r in results)]
    for name in names:
        lines.append(f"{name[:32]:<32}" + "".join(f" {r.scores[name].f1:>18.3f}" for r in results))
    return "\n".join(lines)


def verdict(results: list[Result]) -> str:
    """PASS when the fallback's mean F1 is at least trafilatura's."""
    by_name = {result.extractor: result.mean.f1 for result in results}
    ours, peer = by_name.get(OURS), by_name.get(PEER)
    if ours is None or peer is None:
        return f"SKIP: target needs both {OURS!r} and {PEER!r}"
    status = "PASS" if ours >= peer else "FAIL"
    return f"{status}: {OURS} F1 {ours:.3f} {'>=' if ours >= peer else '<'} {PEER} F1 {peer:.3f}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.quality", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--pages", type=Path, default=PAGES, help="folder of NAME.html + NAME.json pairs"
    )
    parser.add_argument("--smoke", action="store_true", help=f"only the first {SMOKE_PAGES} pages")
    parser.add_argument("--per-page", action="store_true", help="also print each page's F1")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pages = load_pages(args.pages, SMOKE_PAGES if args.smoke else None)
    if not pages:
        print(f"no pages in {args.pages}", file=sys.stderr)
        return 1
    results = run(pages)
    print(f"extraction quality: {len(pages)} pages from {args.pages}")
    print(table(results))
    if args.per_page:
        print()
        print(per_page_table(results))
    print(verdict(results))
    crashes = [crash for result in results for crash in result.crashes]
    for crash in crashes:
        print(crash, file=sys.stderr)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
