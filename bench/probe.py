"""The real crawl process (`python -m scraper.runner`), with a stopwatch on the archive's writes.

`newsdelta crawl` runs `scraper.runner` in a child process; this runs the same `main` in the
same way, having first wrapped `Archive.record` (classify + write a batch of fetched articles)
and `Archive.touch` (a batch of 304s) to add up the time spent in them: wall time, and the CPU
time of the thread that wrote (the crawl writes from a thread of its own, which shares the GIL
with Scrapy's: its wall time is mostly waiting). That is how the bench measures versions/s
*while a crawl writes*, with nothing else of the crawl changed.

`python -m bench.probe OPTIONS_JSON RESULT_FILE TIMINGS_FILE`
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scraper import runner
from storage.archive import Archive


def _timed(
    method: Callable[..., Any], name: str, seconds: Counter[str], items: Counter[str]
) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Archive, crawl_id: int, batch: Any, *args: Any, **kwargs: Any) -> Any:
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return method(self, crawl_id, batch, *args, **kwargs)
        finally:
            seconds[name] += time.perf_counter() - start
            seconds[f"{name}_cpu"] += time.thread_time() - cpu
            items[name] += len(batch)

    return wrapper


def main(argv: list[str]) -> None:
    options, result, timings = argv
    seconds: Counter[str] = Counter()
    items: Counter[str] = Counter()
    Archive.record = _timed(Archive.record, "record", seconds, items)  # type: ignore[method-assign]
    Archive.touch = _timed(Archive.touch, "touch", seconds, items)  # type: ignore[method-assign]
    try:
        runner.main([options, result])
    finally:
        Path(timings).write_text(json.dumps({"seconds": seconds, "items": items}))


if __name__ == "__main__":
    main(sys.argv[1:])
