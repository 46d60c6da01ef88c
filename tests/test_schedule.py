"""The scheduler and cron runs, with real processes against the stand-in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from scraper.lock import EXIT_LOCKED, CrawlLock
from scraper.standin import StandinServer
from storage.migrations import ArchiveError
from tests.support import NEWSDELTA, ROOT, newsdelta, open_archive


def write_config(path: Path, db: Path, base_url: str, jobs: str, grace: float = 30) -> Path:
    path.write_text(
        f'[schedule]\ndb = "{db}"\nbase_url = "{base_url}"\ntimezone = "UTC"\nlock_wait = 0\ngrace = {grace}\n{jobs}',
        "utf-8",
    )
    return path


def start_daemon(config: Path, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [NEWSDELTA, "schedule", "--config", str(config), "--log-file", str(log)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def crawls(db: Path) -> list[dict]:
    if not db.exists():
        return []
    with open_archive(db) as archive:
        return list(archive.db.query("select * from crawls order by id"))


def crawls_so_far(db: Path) -> list[dict]:
    """`crawls`, while the daemon may still be creating the archive (no schema for a moment)."""
    try:
        return crawls(db)
    except ArchiveError as error:
        if "no schema version" in str(error):
            return []
        raise


def stop(daemon: subprocess.Popen[str]) -> None:
    """Leave no daemon behind when a test fails half-way."""
    if daemon.poll() is None:
        daemon.kill()
        daemon.communicate()


def wait_for(condition, timeout: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def test_the_daemon_runs_jobs_on_their_interval(standin: StandinServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    config = write_config(tmp_path / "newsdelta.toml", db, standin.url, '[[schedule.jobs]]\nname = "often"\nmode = "latest"\nevery = "2s"\n')
    daemon = start_daemon(config, tmp_path / "schedule.log")
    try:
        wait_for(lambda: len([c for c in crawls_so_far(db) if c["status"] == "ok"]) >= 2)
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=60)
    finally:
        stop(daemon)
    assert daemon.returncode == 0, err
    rows = crawls(db)
    assert {row["trigger"] for row in rows} == {"schedule"} and {row["mode"] for row in rows} == {"latest"}
    log = (tmp_path / "schedule.log").read_text()
    assert "run often: latest crawl" in log and "new," in log and "schedule stopped" in log


def test_the_config_files_settings_reach_every_run(live_site: StandinServer, tmp_path: Path) -> None:
    """The [settings] table of the same newsdelta.toml, as `newsdelta crawl --config` reads it."""
    live_site.disallow("/")  # obeyed, robots.txt would leave nothing to read
    db = tmp_path / "archive.db"
    config = write_config(tmp_path / "newsdelta.toml", db, live_site.url, '[[schedule.jobs]]\nname = "often"\nmode = "latest"\nevery = "2s"\n')
    config.write_text(config.read_text("utf-8") + "[settings]\nROBOTSTXT_OBEY = false\n", "utf-8")
    daemon = start_daemon(config, tmp_path / "schedule.log")
    try:
        wait_for(lambda: any(c["status"] != "running" for c in crawls_so_far(db)))
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=60)
    finally:
        stop(daemon)
    first = crawls(db)[0]
    assert first["status"] == "ok" and first["new"] > 0  # robots.txt obeyed: `failed`, and 0


def test_sigterm_during_a_crawl_leaves_a_consistent_archive(live_site: StandinServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    for article in live_site.site.articles()[20:40]:
        live_site.delay(f"/{article.slug}/", 1.5)  # a slow site: the crawl takes a while
    config = write_config(tmp_path / "newsdelta.toml", db, live_site.url, '[[schedule.jobs]]\nname = "sweep"\nmode = "full"\nevery = "1s"\n', grace=0.5)
    daemon = start_daemon(config, tmp_path / "schedule.log")
    try:
        wait_for(lambda: any(c["status"] == "running" for c in crawls_so_far(db)))
        time.sleep(1.0)
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=90)
    finally:
        stop(daemon)
    assert daemon.returncode == 0
    rows = crawls(db)
    assert rows and rows[-1]["status"] in ("interrupted", "ok")
    assert "running" not in {row["status"] for row in rows}
    with open_archive(db) as archive:
        assert archive.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        versions = archive.db["versions"].count
        assert versions == archive.db.execute("select count(*) from changes where kind = 'new'").fetchone()[0]
        assert versions == rows[-1]["new"]


def test_a_cron_crawl_during_a_running_crawl_says_so_and_exits_75(standin: StandinServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with CrawlLock(db):  # a crawl is running (held by this test process)
        result = newsdelta("crawl", "--base-url", standin.url, "--db", str(db), "--quiet", "--trigger", "cron")
    assert result.returncode == EXIT_LOCKED
    assert result.stderr.strip().count("\n") == 0 and "another crawl is running on this archive" in result.stderr
    assert f"pid {os.getpid()}" in result.stderr
    assert [c for c in crawls(db) if c["status"] != "failed"] == []


def test_a_lock_left_by_a_killed_crawl_does_not_block_the_next_run(standin: StandinServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from scraper.lock import CrawlLock; import time; CrawlLock({str(db)!r}).acquire(); print('held', flush=True); time.sleep(600)"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    assert newsdelta("crawl", "--base-url", standin.url, "--db", str(db)).returncode == EXIT_LOCKED
    holder.kill()  # kill -9: the lock file stays behind
    holder.wait()
    assert Path(f"{db}.lock").exists()
    result = newsdelta("crawl", "--base-url", standin.url, "--db", str(db), "--quiet")
    assert result.returncode == 0, result.stderr
    assert crawls(db)[-1]["status"] == "ok"


def test_list_shows_the_configured_jobs_and_next_run_times(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "newsdelta.toml", tmp_path / "a.db", "http://127.0.0.1:1",
        '[[schedule.jobs]]\nname = "weekly"\nmode = "full"\ncron = "0 3 * * sun"\n'
        '[[schedule.jobs]]\nname = "hourly"\nmode = "recheck"\nevery = "1h"\n',
    )
    header, *lines = newsdelta("schedule", "--config", str(config), "--list").stdout.splitlines()
    assert header == f"{tmp_path / 'a.db'}: indbiz at http://127.0.0.1:1, times in UTC"
    assert [line.split()[:2] for line in lines] == [["weekly", "full"], ["hourly", "recheck"]]
    weekly_next = lines[0].split("next ")[1]
    assert weekly_next.endswith("T03:00:00+00:00")
    assert time.strptime(weekly_next[:10], "%Y-%m-%d").tm_wday == 6  # a Sunday


def test_the_archive_is_the_configs_then_the_environments_then_the_flags(tmp_path: Path) -> None:
    """As every other command, `schedule` takes --db and $NEWSDELTA_DB (it took only the config's)."""
    config = write_config(tmp_path / "newsdelta.toml", tmp_path / "config.db", "http://127.0.0.1:1", "")

    def archive(*args: str, env: dict[str, str] | None = None) -> str:
        result = newsdelta("schedule", "--list", *args, env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout.split(":")[0]

    environment = {**os.environ, "NEWSDELTA_DB": str(tmp_path / "env.db")}
    assert archive("--config", str(config)) == str(tmp_path / "config.db")
    assert archive("--config", str(config), env=environment) == str(tmp_path / "env.db")
    assert archive("--config", str(config), "--db", str(tmp_path / "flag.db"), env=environment) == str(tmp_path / "flag.db")
    assert archive() == "archive.db"


def test_a_config_whose_site_cannot_be_crawled_is_refused_before_any_run(tmp_path: Path) -> None:
    """Each run failed with a traceback in the daemon's log instead."""
    for site, error in [("indbix", "schedule.site: unknown site 'indbix' (known: generic, indbiz, wordpress)"),
                        ("generic", "site profile 'generic' has no address of its own: give schedule.base_url")]:
        config = tmp_path / f"{site}.toml"
        config.write_text(f'[schedule]\nsite = "{site}"\n', "utf-8")
        result = newsdelta("schedule", "--config", str(config), "--list")
        assert (result.returncode, result.stderr.strip()) == (1, f"newsdelta: error: {config}: {error}")


def test_a_bad_config_is_one_line_naming_the_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[schedule]\n[[schedule.jobs]]\nname = "x"\nmode = "full"\nevry = "1h"\n')
    result = newsdelta("schedule", "--config", str(config), "--list")
    assert result.returncode == 1
    assert result.stderr.strip() == f"newsdelta: error: {config}: schedule.jobs[0]: unknown key 'evry'"
    bad_address = write_config(tmp_path / "address.toml", tmp_path / "a.db", "indbiz.gov.in", '[[schedule.jobs]]\nname = "x"\nmode = "full"\nevery = "1h"\n')
    result = newsdelta("schedule", "--config", str(bad_address), "--list")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"newsdelta: error: {bad_address}: schedule.base_url: 'indbiz.gov.in' is not a web address (http:// or https:// and a host)"
    )


def test_status_shows_the_last_runs(standin: StandinServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    assert newsdelta("crawl", "--base-url", standin.url, "--db", str(db), "--quiet").returncode == 0
    out = newsdelta("status", "--db", str(db)).stdout
    assert "no crawl running" in out and "cli       full" in out and " ok " in out
    articles = len(standin.site.articles())
    assert f"indbiz: {articles} articles ({articles} live, 0 removed), {articles} versions" in out.splitlines()
