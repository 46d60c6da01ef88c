"""Run one measured child process: its wall time, CPU time and peak RSS.

Crawls run in child processes (Twisted's reactor cannot restart, and each crawl's memory must
be its own). CPU comes from `os.wait4`: the child and the processes it reaped (a crawl's
cleaning worker), nothing of the bench's own. Peak RSS is sampled from /proc, summed over the
child's process tree: `ru_maxrss` would be wrong here, because Linux carries the high-water
mark of the address space a process had *before* `exec` into it, and the bench process that
forks the crawl holds every pre-rendered page (0.6 GB at 20,000 articles).

The machine's idle CPU is sampled too (`/proc/stat`): CPU seconds summed over a crawl had
read as "both cores busy" while the cores were 28-40% idle through it (bench/README.md).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: Seconds between two RSS samples of a running child.
SAMPLE_EVERY_S = 0.02


class ChildFailed(RuntimeError):
    """A measured process exited non-zero: its log's tail says why."""


@dataclass(frozen=True)
class ChildRun:
    exit_code: int
    wall_s: float
    #: User + system CPU of the child and of the processes it waited for.
    cpu_s: float
    #: Peak of the RSS summed over the child's process tree, MB.
    peak_rss_mb: float
    #: The machine's CPU while the child ran: (Unix time, idle jiffies, all jiffies), all CPUs.
    cpu_samples: tuple[tuple[float, int, int], ...] = ()


def idle_share(samples: Sequence[tuple[float, int, int]], start: float, end: float) -> float:
    """The share of the machine's CPU time that was idle between two Unix times, from the
    samples taken inside that span (NaN when fewer than two were)."""
    inside = [sample for sample in samples if start <= sample[0] <= end]
    if len(inside) < 2:
        return math.nan
    (_, idle_0, all_0), (_, idle_1, all_1) = inside[0], inside[-1]
    return (idle_1 - idle_0) / max(1, all_1 - all_0)


def machine_cpu() -> tuple[int, int]:
    """Idle (iowait included) and all jiffies of every CPU since boot (`/proc/stat`)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return fields[3] + fields[4], sum(fields[:8])  # guest time is already in user time


def tree_rss_kb(pid: int) -> int:
    """Resident memory of `pid` and its descendants now, kB (0 once it is gone)."""
    total, pending = 0, [pid]
    while pending:
        process = pending.pop()
        try:
            status = Path(f"/proc/{process}/status").read_text()
            children = Path(f"/proc/{process}/task/{process}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        pending += map(int, children)
    return total


class _Sampler:
    """Samples a process tree's RSS, and the machine's CPU, in a thread until the process is reaped."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self.cpu: list[tuple[float, int, int]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-sampler", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(SAMPLE_EVERY_S):
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))
            self.cpu.append((time.time(), *machine_cpu()))

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak_kb / 1024


def run_child(module: str, args: list[str], log: Path) -> ChildRun:
    """`python -m module args…` with stdout/stderr to `log`; raises `ChildFailed` on a bad exit."""
    with log.open("wb") as out:
        start = time.perf_counter()
        command = [sys.executable, "-m", module, *args]
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        sampler = _Sampler(child.pid)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    peak = sampler.stop()
    child.returncode = exit_code = os.waitstatus_to_exitcode(status)
    if exit_code:
        tail = log.read_text("utf-8", errors="replace")[-3000:]
        raise ChildFailed(f"`python -m {module}` exited {exit_code}; the end of {log}:\n{tail}")
    return ChildRun(exit_code, wall, usage.ru_utime + usage.ru_stime, peak, tuple(sampler.cpu))
