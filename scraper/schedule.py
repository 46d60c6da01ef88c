"""`newsdelta schedule`: crawls on a timetable, for months, unattended (APScheduler 3).

Each run is a crawl in a child process (`runner.run_crawl`), under the archive's crawl lock,
so the daemon and cron never overlap. Missed runs are coalesced into one. SIGTERM or SIGINT:
no new runs; the running crawl may finish within the grace period, then it is stopped
cleanly (its row says `interrupted`); the daemon exits 0.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import signal
import threading
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scraper.config import ConfigError, read_config, settings_table
from scraper.lock import CrawlLocked
from scraper.runner import CrawlError, CrawlOptions, run_crawl
from scraper.sites import UnknownSite, get_site, web_address
from storage.archive import Archive
from storage.migrations import ArchiveError

log = logging.getLogger("newsdelta.schedule")

_EVERY = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Job:
    """One recurring crawl: `every` ("30m", "1h", "2s") or `cron` ("0 3 * * sun"), not both."""

    name: str
    mode: str
    every: str = ""
    cron: str = ""
    #: Seconds a run may take before it is stopped cleanly.
    time_limit: float = 3 * 3600

    def trigger(self, timezone: str) -> BaseTrigger:
        if self.cron:
            return CronTrigger.from_crontab(self.cron, timezone=timezone)
        match = _EVERY.match(self.every)
        assert match  # checked by load_config
        return IntervalTrigger(seconds=float(match[1]) * _SECONDS[match[2]], timezone=timezone)

    def describe(self) -> str:
        return f"cron '{self.cron}'" if self.cron else f"every {self.every}"


#: IndBiz publishes a few articles a day: latest often, rechecks hourly, a full sweep weekly.
DEFAULT_JOBS = (
    Job(name="latest", mode="latest", every="30m", time_limit=20 * 60),
    Job(name="recheck", mode="recheck", every="1h", time_limit=50 * 60),
    Job(name="full", mode="full", cron="0 3 * * sun", time_limit=6 * 3600),
)


@dataclass(frozen=True)
class ScheduleConfig:
    db: str = "archive.db"
    site: str = "indbiz"
    base_url: str | None = None
    timezone: str = "Asia/Kolkata"
    #: Seconds a run waits for another crawl of the archive (cron's, say) before it is skipped.
    lock_wait: float = 600
    #: Seconds the running crawl may go on after SIGTERM before it is stopped.
    grace: float = 60
    #: Runs later than this (machine asleep, previous run still going) are skipped, not queued.
    misfire_grace_time: int = 15 * 60
    log_file: str | None = None
    jobs: tuple[Job, ...] = field(default=DEFAULT_JOBS)
    #: The file's `[settings]` table, for every run (`scraper.config`).
    settings: dict[str, Any] = field(default_factory=dict)


def load_config(path: str | Path | None) -> ScheduleConfig:
    """`newsdelta.toml`'s `[schedule]` table and its `[[schedule.jobs]]`; defaults without a file."""
    if path is None:
        return ScheduleConfig()
    whole = read_config(path)
    data = whole.get("schedule", {})
    known = {f.name for f in fields(ScheduleConfig)} - {"settings"}
    if unknown := set(data) - known:
        raise ConfigError(f"{path}: unknown key schedule.{sorted(unknown)[0]}")
    jobs = tuple(_job(path, index, entry) for index, entry in enumerate(data.pop("jobs", []))) or DEFAULT_JOBS
    if base_url := data.get("base_url"):
        try:
            web_address(base_url)
        except ValueError as error:
            raise ConfigError(f"{path}: schedule.base_url: {error}") from None
    config = ScheduleConfig(**data, jobs=jobs, settings=settings_table(whole, path))
    try:
        profile = get_site(config.site)
    except UnknownSite as error:
        raise ConfigError(f"{path}: schedule.site: {error}") from None
    if not (config.base_url or profile.base_url):
        raise ConfigError(f"{path}: site profile {config.site!r} has no address of its own: give schedule.base_url")
    return config


def address(config: ScheduleConfig) -> str:
    """Where the schedule's crawls go: its `base_url`, else its site profile's own."""
    return config.base_url or get_site(config.site).base_url or ""


def _job(path: str | Path, index: int, entry: dict[str, Any]) -> Job:
    where = f"{path}: schedule.jobs[{index}]"
    known = {f.name for f in fields(Job)}
    if unknown := set(entry) - known:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    try:
        job = Job(**entry)
    except TypeError as error:
        raise ConfigError(f"{where}: {error}") from None
    if job.mode not in ("full", "latest", "recheck"):
        raise ConfigError(f"{where}: mode {job.mode!r} is not full, latest or recheck")
    if bool(job.every) == bool(job.cron):
        raise ConfigError(f"{where}: give exactly one of every = \"30m\" or cron = \"0 3 * * sun\"")
    if job.every and not _EVERY.match(job.every):
        raise ConfigError(f"{where}: every = {job.every!r} is not like 30s, 30m, 1h or 1d")
    if job.cron:
        try:
            CronTrigger.from_crontab(job.cron)
        except ValueError as error:
            raise ConfigError(f"{where}: cron = {job.cron!r}: {error}") from None
    return job


def next_runs(config: ScheduleConfig, now: datetime | None = None) -> list[tuple[Job, datetime]]:
    """Each job with its next run time, as `--list` prints them."""
    from zoneinfo import ZoneInfo

    now = now or datetime.now(ZoneInfo(config.timezone))
    return [(job, job.trigger(config.timezone).get_next_fire_time(None, now)) for job in config.jobs]


class Daemon:
    def __init__(self, config: ScheduleConfig) -> None:
        self.config = config
        self.stopping = threading.Event()  # no new runs
        self.stop_crawl = threading.Event()  # stop the running crawl now
        self.idle = threading.Event()
        self.idle.set()
        self.scheduler = BlockingScheduler(
            timezone=config.timezone,
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": config.misfire_grace_time},
        )
        for job in config.jobs:
            self.scheduler.add_job(self.run_job, job.trigger(config.timezone), args=[job], id=job.name, name=job.name)

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        log.info("schedule started: %s", "; ".join(f"{j.name} ({j.mode}, {j.describe()})" for j in self.config.jobs))
        self.scheduler.start()  # returns after shutdown
        if not self.idle.wait(self.config.grace):
            log.info("grace period over: stopping the running crawl")
            self.stop_crawl.set()
            self.idle.wait()
        log.info("schedule stopped")

    def _on_signal(self, signum: int, frame: object) -> None:
        log.info("%s: no new runs; letting the running crawl finish (up to %g s)", signal.Signals(signum).name, self.config.grace)
        self.stopping.set()
        self.scheduler.shutdown(wait=False)

    def run_job(self, job: Job) -> None:
        if self.stopping.is_set():
            return
        self.idle.clear()
        try:
            self._crawl(job)
        finally:
            self.idle.set()

    def _crawl(self, job: Job) -> None:
        config = self.config
        log.info("run %s: %s crawl of %s starting", job.name, job.mode, address(config))
        options = CrawlOptions(
            db=config.db,
            site=config.site,
            mode=job.mode,
            base_url=config.base_url,
            trigger="schedule",
            lock_wait=config.lock_wait,
            time_limit=job.time_limit,
            settings={**config.settings, "LOG_LEVEL": "WARNING", "NEWSDELTA_SUMMARY": False, "NEWSDELTA_PROGRESS_INTERVAL": 0},
        )
        try:
            row = run_crawl(options, stop=self.stop_crawl)
        except (CrawlLocked, CrawlError, ArchiveError) as error:
            log.error("run %s failed: %s", job.name, error)
            self._record_failure(job, str(error))
            return
        log.info(
            "run %s: crawl %d %s: %d new, %d edited, %d removed, %d restored, %d unchanged, %d failed%s",
            job.name, row["id"], row["status"], row["new"], row["edited"], row["removed"], row["restored"],
            row["unchanged"], row["failed"], f", {row['suspect']} held back as suspect" if row["suspect"] else "",
        )
        if row["error"]:
            log.error("run %s: crawl %d failed: %s", job.name, row["id"], row["error"])

    def _record_failure(self, job: Job, error: str) -> None:
        try:
            with Archive.open(self.config.db) as archive:
                archive.record_failed_run(
                    site=self.config.site, mode=job.mode, trigger="schedule", error=error, base_url=self.config.base_url or ""
                )
        except ArchiveError as archive_error:
            log.error("could not record the failure in the archive: %s", archive_error)


def configure_logging(log_file: str | None) -> None:
    """One line per run start and end, to stderr and optionally a rotating file."""
    formatter = logging.Formatter("%(asctime)s newsdelta: %(message)s", "%Y-%m-%d %H:%M:%S")
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file:
        handlers.append(logging.handlers.RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=5))
    for handler in handlers:
        handler.setFormatter(formatter)
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
