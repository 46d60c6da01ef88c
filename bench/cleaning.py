"""Cleaning speed on the same article pages: newsdelta's cleaner, a bare lxml parse, trafilatura.

The floor is `lxml.html.document_fromstring` (parsing the page and nothing else); the peer is
`trafilatura.extract`, a widely used article extractor. Each is timed page by page in CPU time
of this thread (`time.thread_time`), which a noisy neighbour disturbs far less than wall time,
and the three take turns on each page: the machine's speed drifts within a minute (on
2026-12-06 an lxml parse went from 0.5 to 0.8 ms between two sizes of one run), so timing one
extractor over every page and then the next made their ratio a measure of that drift.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: Pages each extractor sees before timing starts (imports, caches, compiled selectors).
WARM_UP = 5


@dataclass(frozen=True)
class Timing:
    name: str
    median_ms: float
    p90_ms: float
    #: One core, one page after another: 1000 / mean ms.
    pages_per_s: float


def _timing(name: str, samples: Sequence[float]) -> Timing:
    deciles = statistics.quantiles(samples, n=10, method="inclusive")
    return Timing(name, statistics.median(samples), deciles[-1], 1000 / statistics.fmean(samples))


def _newsdelta() -> Callable[[bytes, str], object]:
    from scraper.clean import clean
    from scraper.sites import get_site

    profile = get_site("indbiz")
    return lambda body, url: clean(body, url, profile, content_type="text/html; charset=UTF-8")


def _lxml() -> Callable[[bytes, str], object]:
    import lxml.html

    return lambda body, url: lxml.html.document_fromstring(body)


def _trafilatura() -> Callable[[bytes, str], object]:
    import trafilatura

    return lambda body, url: trafilatura.extract(body, url=url)


EXTRACTORS: dict[str, Callable[[], Callable[[bytes, str], object]]] = {
    "newsdelta": _newsdelta,
    "lxml": _lxml,
    "trafilatura": _trafilatura,
}


def time_cleaning(pages: Sequence[tuple[str, bytes]]) -> dict[str, Timing]:
    """Every extractor on each page (url, body), in turn, page after page."""
    extractors = {name: make() for name, make in EXTRACTORS.items()}
    for url, body in pages[:WARM_UP]:
        for work in extractors.values():
            work(body, url)
    samples: dict[str, list[float]] = {name: [] for name in extractors}
    for url, body in pages:
        for name, work in extractors.items():
            start = time.thread_time()
            work(body, url)
            samples[name].append((time.thread_time() - start) * 1000)
    return {name: _timing(name, found) for name, found in samples.items()}
