"""Helpers the tests share: a crawl as the CLI runs it, the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scraper.runner import CrawlOptions, run_crawl
from scraper.standin import StandinServer
from storage.archive import Archive

ROOT = Path(__file__).resolve().parent.parent
QUIET = {"LOG_LEVEL": "WARNING", "NEWSDELTA_PROGRESS_INTERVAL": 0}
#: The installed console script, as a user runs it.
NEWSDELTA = str(Path(sys.executable).with_name("newsdelta"))


def crawl(server: StandinServer, db: Path, mode: str = "full", **settings: object) -> dict:
    """One crawl of `server`, as the CLI runs it (child process); returns the `crawls` row."""
    return run_crawl(CrawlOptions(db=str(db), mode=mode, base_url=server.url, settings={**QUIET, **settings}))


def open_archive(db: Path) -> Archive:
    return Archive.open(db, readonly=True)


def newsdelta(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed `newsdelta` command in a subprocess."""
    return run(NEWSDELTA, *args, cwd=cwd, env=env, timeout=timeout)


def python_module(module: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m module args…` from the project root, as the bench's README runs it."""
    return run(sys.executable, "-m", module, *args, timeout=timeout)


def run(*command: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
