"""`python -m bench [--sizes 2000,20000] [--rounds 5] [--smoke] [--quality]`: measure, then print the table.

Progress goes to stderr, the table to stdout. Exit 0 when every measurement ran, whatever the
verdicts: on a noisy machine a FAIL is a finding to read, not a crash (`--strict` exits 1 on it).
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.report import render
from bench.suite import measure, stderr

DEFAULT_SIZES = (2000, 20000)
#: Two tiny sizes, so that the growth column is exercised too: well under a minute.
SMOKE_SIZES = (20, 60)
#: Sizes up to this many articles measure the full crawl and its ceiling in rounds: each takes
#: seconds, while the machine's speed drifts by several percent (`bench.suite`).
ROUNDS_UP_TO = 5_000
DEFAULT_ROUNDS = 5
#: Enough rounds to run the median's code, few enough for a smoke run.
SMOKE_ROUNDS = 2


def _rounds(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of rounds (1 or more)")
    return int(text)


def _sizes(text: str) -> list[int]:
    return sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=_sizes, default=list(DEFAULT_SIZES), help="articles, comma-separated"
    )
    parser.add_argument(
        "--smoke", action="store_true", help=f"tiny sizes {SMOKE_SIZES}: checks the bench runs"
    )
    parser.add_argument(
        "--work", type=Path, help="keep archives, logs and stats (the last round's) here (default: a temp dir)"
    )
    parser.add_argument(
        "--rounds",
        type=_rounds,
        help=f"rounds of the full crawl and the bare spider at sizes up to {ROUNDS_UP_TO:,} articles;"
        f" the table shows the median round (default {DEFAULT_ROUNDS}, {SMOKE_ROUNDS} with --smoke)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--quality", action="store_true", help="also run bench.quality (extraction quality)"
    )
    args = parser.parse_args(argv)
    sizes = list(SMOKE_SIZES) if args.smoke else args.sizes
    rounds = args.rounds or (SMOKE_ROUNDS if args.smoke else DEFAULT_ROUNDS)

    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="newsdelta-bench-") as scratch:
        work = args.work or Path(scratch)
        runs = [
            measure(size, work / str(size), say=stderr, rounds=rounds if size <= ROUNDS_UP_TO else 1)
            for size in sizes
        ]
    table = render(runs)
    print(
        f"newsdelta bench, {started:%Y-%m-%d %H:%M} UTC, "
        f"python -m bench --sizes {','.join(map(str, sizes))} --rounds {rounds}"
    )
    print(f"{platform.platform()}, Python {platform.python_version()}, {_cpus()} CPUs\n")
    print(table)
    failed = "FAIL" in table
    if args.quality and _quality(args.smoke) != 0:
        return 1
    return 1 if args.strict and failed else 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _quality(smoke: bool) -> int:
    """The extraction-quality benchmark (`bench/quality.py`) when it exists; its exit status."""
    if importlib.util.find_spec("bench.quality") is None:
        stderr("bench.quality is not there: --quality ignored")
        return 0
    from bench import quality

    print()
    start = time.perf_counter()
    status = quality.main(["--smoke"] if smoke else [])
    stderr(f"bench.quality ran in {time.perf_counter() - start:.0f} s")
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
