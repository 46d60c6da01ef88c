"""The `newsdelta` command and `scrapy crawl`, run in subprocesses as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from scraper.standin import StandinServer
from scraper.standin.server import respond
from tests.support import NEWSDELTA, ROOT, crawl, newsdelta, open_archive

SEED = "india-strengthens-defence-ties-with-japan-south-korea"
GOLDEN = Path(__file__).parent / "golden" / "seed.txt"


def strip_lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def summary_counts(stdout: str) -> dict[str, int]:
    """The counts of the end-of-crawl summary ("  new   70" lines)."""
    counts = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


def test_crawl_changes_show_and_history(live_site: StandinServer, db_path: Path) -> None:
    result = newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    total = len(live_site.site.articles())
    assert summary_counts(result.stdout) == {"new": total, "edited": 0, "removed": 0, "restored": 0, "unchanged": 0, "failed": 0}

    seed_url = live_site.article_url(SEED)
    shown = newsdelta("show", seed_url, "--db", str(db_path))
    assert shown.returncode == 0, shown.stderr
    expected = strip_lines(GOLDEN.read_text("utf-8"))
    assert strip_lines(shown.stdout) == expected

    live_site.site.retitle(SEED, "India deepens defence ties with Japan and South Korea")
    assert newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path)).returncode == 0
    listed = newsdelta("changes", "--db", str(db_path), "--kind", "edited", "--format", "json")
    rows = json.loads(listed.stdout)
    assert [(r["url"], r["fields"], r["version"]) for r in rows] == [(seed_url, ["title"], 2)]
    table = newsdelta("changes", "--db", str(db_path), "--since", "1h")
    assert "edited" in table.stdout and seed_url in table.stdout

    assert strip_lines(newsdelta("show", seed_url, "--version", "1", "--db", str(db_path)).stdout) == expected
    latest = newsdelta("show", seed_url, "--db", str(db_path)).stdout
    assert latest.startswith("India deepens defence ties with Japan and South Korea\n")

    diff = newsdelta("diff", seed_url, "--db", str(db_path))
    assert "version 1 → 2" in diff.stdout
    assert "[-strengthens-]" in diff.stdout and "{+deepens+}" in diff.stdout
    history = newsdelta("history", seed_url, "--db", str(db_path)).stdout.splitlines()
    assert [line.split()[0] for line in history] == ["v1", "v2"]


def test_show_html_prints_each_versions_page_as_the_site_sent_it(live_site: StandinServer, db_path: Path) -> None:
    """Stored pages are compressed against a page of the site (`storage.pages`), so `zstd -d`
    alone no longer reads them: `show --format html` does, version by version."""
    url = live_site.article_url(SEED)

    def served() -> bytes:
        status, _, _, body, _ = respond(live_site.site, live_site.url, f"/{SEED}/", {})
        assert status == 200
        return body

    def show_html(*args: str) -> bytes:
        shown = subprocess.run([NEWSDELTA, "show", url, "--format", "html", "--db", str(db_path), *args], capture_output=True, check=False)
        assert (shown.returncode, shown.stderr) == (0, b""), shown.stderr
        return shown.stdout

    first = served()
    crawl(live_site, db_path)
    live_site.site.retitle(SEED, "India deepens defence ties with Japan and South Korea")
    crawl(live_site, db_path)
    assert first != served() and b"deepens" in served()
    assert show_html("--version", "1") == first
    assert show_html() == served()
    missing = newsdelta("show", url, "--version", "3", "--format", "html", "--db", str(db_path))
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0 and "no version 3" in missing.stderr


def test_scrape_prints_the_document_in_each_format(standin: StandinServer) -> None:
    url = standin.article_url(SEED)
    text = newsdelta("scrape", url)
    assert text.returncode == 0, text.stderr
    assert strip_lines(text.stdout) == strip_lines(GOLDEN.read_text("utf-8"))
    data = json.loads(newsdelta("scrape", url, "--format", "json").stdout)
    assert (data["title"], data["published"], len(data["body"])) == ("India strengthens defence ties with Japan, South Korea", "2019-09-06", 7)
    markdown = newsdelta("scrape", url, "--format", "markdown").stdout
    assert markdown.startswith("# India strengthens defence ties with Japan, South Korea\n")


def test_an_article_url_that_redirects_is_scraped_and_archived_under_its_address(standin: StandinServer, db_path: Path) -> None:
    """WordPress answers an article's URL without its trailing slash with a 301 to it. `scrape`
    printed the article, then called the URL asked for "not fetched" and exited 1."""
    url = standin.article_url(SEED)
    scraped = newsdelta("scrape", url.rstrip("/"), "--format", "json")
    assert (scraped.returncode, scraped.stderr) == (0, "")
    assert json.loads(scraped.stdout)["url"] == url
    crawled = newsdelta("crawl", "--base-url", standin.url, "--url", url.rstrip("/"), "--db", str(db_path))
    assert crawled.returncode == 0, crawled.stderr
    with open_archive(db_path) as archive:
        assert [row["url"] for row in archive.db.query("select url from articles")] == [url]


def test_scrape_of_a_missing_page_or_a_non_article_is_one_line_and_nonzero(standin: StandinServer) -> None:
    for url, reason in [
        (f"{standin.url}/no-such-article/", "HTTP 404"),
        (f"{standin.url}/about-indbiz/", "not an article page"),
        ("http://127.0.0.1:9/unreachable/", "Connection"),
    ]:
        result = newsdelta("scrape", url)
        assert result.returncode == 1, url
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("newsdelta: error:") and reason in lines[0], result.stderr
        assert result.stdout == ""


def test_an_address_that_is_not_a_web_address_is_one_line_before_anything_is_written(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    for args in (
        ["crawl", "--base-url", "indbiz.gov.in", "--db", str(db)],
        ["crawl", "--base-url", "ftp://127.0.0.1/", "--db", str(db)],
        ["crawl", "--url", "http:///no-host/", "--db", str(db)],
        ["scrape", "not-a-url"],
    ):
        result = newsdelta(*args)
        assert result.returncode == 1, args
        address = args[2] if args[0] == "crawl" else args[1]
        assert result.stderr.strip() == f"newsdelta: error: {address!r} is not a web address (http:// or https:// and a host)"
        assert result.stdout == ""
    assert not db.exists()


def test_all_without_recheck_is_refused_not_ignored(tmp_path: Path) -> None:
    """`crawl --all` ran a full crawl as if --all were not there."""
    db = tmp_path / "archive.db"
    for mode in ("full", "latest"):
        result = newsdelta("crawl", "--all", "--mode", mode, "--base-url", "http://127.0.0.1:1", "--db", str(db))
        assert (result.returncode, result.stderr) == (1, "newsdelta: error: --all goes with --mode recheck (every live article, due or not)\n")
    assert not db.exists()


def test_commands_on_a_file_that_is_not_an_archive_fail_cleanly(tmp_path: Path, standin: StandinServer) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not a database at all\n" * 100)
    for args in (["crawl", "--base-url", standin.url], ["changes"], ["show", "http://x/"]):
        result = newsdelta(*args, "--db", str(bogus))
        assert result.returncode == 1
        assert result.stderr.strip().count("\n") == 0 and "not a newsdelta archive" in result.stderr
    assert bogus.read_text() == "not a database at all\n" * 100
    missing = newsdelta("changes", "--db", str(tmp_path / "missing.db"))
    assert missing.returncode == 1 and "no archive" in missing.stderr


def test_a_crawl_with_failures_exits_1(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    live_site.fail(f"/{SEED}/", 500)
    result = newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path))
    assert result.returncode == 1
    assert summary_counts(result.stdout)["failed"] == 1
    failures = newsdelta("failures", "--db", str(db_path))
    assert live_site.article_url(SEED) in failures.stdout and "HTTP 500" in failures.stdout


def test_a_recheck_with_nothing_due_writes_nothing_and_says_nothing_on_stderr(live_site: StandinServer, db_path: Path) -> None:
    """No page fetched, no batch written: the archive writer was closed before the crawl read
    its "ready", and its read of the closed socket was a traceback on every quiet recheck."""
    crawl(live_site, db_path)
    result = newsdelta("crawl", "--mode", "recheck", "--base-url", live_site.url, "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    assert summary_counts(result.stdout) == {"new": 0, "edited": 0, "removed": 0, "restored": 0, "unchanged": 0, "failed": 0}
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr


def test_a_recheck_of_an_archive_that_holds_nothing_of_the_site_says_so(live_site: StandinServer, db_path: Path) -> None:
    """A recheck cron job set up before the first full crawl: it printed six zeros, as a
    recheck with nothing due does, and under --quiet nothing at all."""
    for quiet in ((), ("--quiet",)):
        result = newsdelta("crawl", "--mode", "recheck", "--base-url", live_site.url, "--db", str(db_path), *quiet)
        assert result.returncode == 0, result.stderr
        assert "warning: the archive holds no article of this site to recheck: crawl it in full first" in result.stdout
    crawl(live_site, db_path)
    result = newsdelta("crawl", "--mode", "recheck", "--base-url", live_site.url, "--db", str(db_path), "--quiet")
    assert (result.returncode, result.stdout) == (0, "")  # nothing due: silence, as cron wants


def test_a_crawl_that_finds_no_article_says_so(standin: StandinServer, db_path: Path) -> None:
    """Pointed at a page that lists nothing (and has no sitemap): ok, but not silently, even
    under --quiet."""
    for quiet in ((), ("--quiet",)):
        result = newsdelta("crawl", "--base-url", f"{standin.url}/about-indbiz", "--db", str(db_path), *quiet)
        assert result.returncode == 0, result.stderr
        assert set(summary_counts(result.stdout).values()) == {0}
        assert "warning: no article found: is --base-url the site's home page, and --site its profile?" in result.stdout


def test_a_quiet_crawl_is_silent_only_when_nothing_changed(live_site: StandinServer, db_path: Path) -> None:
    """Under cron, --quiet must still tell a removal and a restoration (it told only new, edited
    and failed, so a 410 went unsaid)."""
    def quiet_crawl() -> str:
        result = newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path), "--quiet")
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert summary_counts(quiet_crawl())["new"] == len(live_site.site.articles())
    assert quiet_crawl() == ""
    taken_down = live_site.site.remove_article(live_site.site.articles()[5].slug, status=410)
    removed = summary_counts(quiet_crawl())
    assert (removed["removed"], removed["failed"], removed["new"], removed["edited"]) == (1, 0, 0, 0)
    live_site.site.add_article(taken_down)
    assert summary_counts(quiet_crawl())["restored"] == 1


def test_ctrl_c_stops_the_crawl_cleanly_and_says_so(live_site: StandinServer, db_path: Path) -> None:
    """Ctrl-C in a terminal signals the whole foreground group: the CLI and its crawl. The crawl
    stops cleanly; the CLI waits for it (it had left, and the crawl then failed to write its
    result into a folder already removed, with a traceback)."""
    for article in live_site.site.articles():
        live_site.delay(f"/{article.slug}/", 3.0)  # 16 at a time: the crawl takes ~15 s
    cli = subprocess.Popen(
        [NEWSDELTA, "crawl", "--base-url", live_site.url, "--db", str(db_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while live_site.hits[("article", 200)] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(cli.pid, signal.SIGINT)
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == 1
    assert f"newsdelta crawl 1 (full, indbiz) interrupted: {live_site.url}" in out
    assert "Traceback" not in err and "Aborted" not in err, err
    with open_archive(db_path) as archive:
        assert archive.crawl(1)["status"] == "interrupted"
        assert archive.crawl(1)["new"] < len(live_site.site.articles())


def test_sigterm_to_the_whole_group_stops_the_crawl_cleanly_and_archives_what_it_fetched(live_site: StandinServer, db_path: Path) -> None:
    """`timeout`, `kill -- -PGID` and `systemctl stop` signal every process: the archive writer
    and the cleaning worker died at once, and the batch in hand was lost with an error."""
    articles = live_site.site.articles()
    for article in articles[20:]:
        live_site.delay(f"/{article.slug}/", 3.0)
    cli = subprocess.Popen(
        [NEWSDELTA, "crawl", "--base-url", live_site.url, "--db", str(db_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while live_site.hits[("article", 200)] < 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # the fast twenty cleaned and waiting in the pipeline's batch
    os.killpg(cli.pid, signal.SIGTERM)
    out, err = cli.communicate(timeout=120)
    assert f"newsdelta crawl 1 (full, indbiz) interrupted: {live_site.url}" in out
    assert "exited" not in err and "Traceback" not in err, err
    with open_archive(db_path) as archive:
        row = archive.crawl(1)
        assert row["status"] == "interrupted" and 20 <= row["new"] < len(articles)
        assert archive.db["versions"].count == row["new"]


def test_a_crawl_whose_cli_was_killed_stops_cleanly_instead_of_running_on(live_site: StandinServer, db_path: Path, tmp_path: Path) -> None:
    """`kill PID` of `newsdelta crawl` ended the CLI only: its crawl ran on to the end with
    nobody to report to, holding the archive's lock."""
    for article in live_site.site.articles():
        live_site.delay(f"/{article.slug}/", 3.0)  # 16 at a time: the crawl takes ~15 s
    log = tmp_path / "crawl.log"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with log.open("w") as stderr:
        cli = subprocess.Popen(
            [NEWSDELTA, "crawl", "--base-url", live_site.url, "--db", str(db_path)],
            stdout=subprocess.DEVNULL, stderr=stderr, cwd=ROOT, start_new_session=True, env={**os.environ, "TMPDIR": str(scratch)},
        )
    deadline = time.monotonic() + 60
    while live_site.hits[("article", 200)] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    cli.send_signal(signal.SIGTERM)  # the CLI alone, not its process group
    cli.wait(timeout=30)

    def status() -> str:
        with open_archive(db_path) as archive:
            return archive.crawl(1)["status"]

    while status() == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    with open_archive(db_path) as archive:
        row = archive.crawl(1)
    assert row["status"] == "interrupted" and row["new"] < len(live_site.site.articles())
    assert "the newsdelta process that started this crawl is gone: stopping the crawl" in log.read_text()
    assert "Traceback" not in log.read_text()  # the crawl had no one to report to, and said nothing of it
    assert list(scratch.iterdir()) == []  # nothing of the crawl's is left in the temporary folder


def test_a_crawl_runs_no_code_execution_server_and_leaves_no_token_in_the_users_home(live_site: StandinServer, db_path: Path, tmp_path: Path) -> None:
    """Scrapy 2.19 starts a remote-control HTTP server in every crawl, which runs the Python
    code it is sent, and writes its port and token to the user's state folder: 87 stale
    token files had piled up here from crawls that were killed."""
    state = tmp_path / "state"
    live_site.delay(f"/{live_site.site.articles()[-1].slug}/", 2.0)  # the crawl stays up a while
    cli = subprocess.Popen(
        [NEWSDELTA, "crawl", "--base-url", live_site.url, "--db", str(db_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "XDG_STATE_HOME": str(state)},
    )
    deadline = time.monotonic() + 60
    while live_site.hits[("article", 200)] < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    during = sorted(str(path.relative_to(state)) for path in state.rglob("*")) if state.exists() else []
    _, stderr = cli.communicate(timeout=60)
    assert cli.returncode == 0, stderr
    assert live_site.hits[("article", 200)] == len(live_site.site.articles())
    assert during == []


def test_scrapy_crawl_from_the_project_root_does_the_same_crawl(standin: StandinServer, db_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "indbiz", "-a", f"base_url={standin.url}", "-s", f"NEWSDELTA_DB={db_path}", "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(newsdelta("changes", "--db", str(db_path), "--format", "json", "--limit", "1000").stdout)
    assert len(listed) == len(standin.site.articles())
    assert {r["kind"] for r in listed} == {"new"}
    assert "newsdelta crawl 1 (full, indbiz) ok" in result.stdout


def test_demo_crawls_changes_the_site_and_shows_the_flagged_changes(tmp_path: Path) -> None:
    result = newsdelta("demo", "--db", str(tmp_path / "demo.db"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # the article taken down is a removal, not a failure to warn of
    out = result.stdout
    second = summary_counts(out.split("3. Crawling again")[1])
    assert (second["new"], second["edited"], second["removed"], second["failed"]) == (1, 1, 1, 0)
    assert "flagged 3 change(s) in crawl 2" in out
    flagged = [
        "  new: India and UK conclude talks on a free trade agreement",
        "  removed: Tesla to set up production facilities in India and Mexico by 2025",
        "  edited: India deepens defence ties with Japan and South Korea",
    ]
    assert all(line in out for line in flagged)
    assert sorted(flagged, key=out.index) == flagged
    assert "fields: title, body (substantive" in out
    assert "[-strengthens-]" in out and "{+deepens+}" in out and "[-lwaya.-]" in out and "{+Iwaya.+}" in out
    assert "datasette" in out and "newsdelta changes" in out


def test_the_demo_run_again_starts_afresh_and_never_touches_an_archive_of_ones_own(tmp_path: Path, standin: StandinServer) -> None:
    """Its stand-in has a new address each run: into the last run's archive, the demo's full
    crawl rechecked every article at the old one, 67 failures."""
    db = tmp_path / "demo.db"
    assert newsdelta("demo", "--db", str(db), cwd=tmp_path).returncode == 0
    again = newsdelta("demo", "--db", str(db), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"{db} held only earlier demo runs: starting it afresh\n")
    assert [summary_counts(part)["failed"] for part in again.stdout.split("newsdelta crawl ")[1:]] == [0, 0]
    assert "newsdelta crawl 1 (full, indbiz) ok" in again.stdout and "flagged 3 change(s) in crawl 2" in again.stdout
    own = tmp_path / "own.db"
    assert newsdelta("crawl", "--base-url", standin.url, "--db", str(own), "--quiet").returncode == 0
    before = own.read_bytes()
    refused = newsdelta("demo", "--db", str(own), cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"newsdelta: error: {own} holds crawls that are not the demo's (cli): give the demo another --db"
    assert own.read_bytes() == before


def test_output_piped_into_a_reader_that_stops_early_is_no_error(standin: StandinServer, db_path: Path) -> None:
    """`newsdelta changes | head` printed `newsdelta: error: [Errno 32] Broken pipe`."""
    crawl(standin, db_path)
    for command in (f"changes --limit 100 --db {db_path}", f"show {standin.article_url(standin.site.articles()[0].slug)} --db {db_path}"):
        piped = subprocess.run(["bash", "-o", "pipefail", "-c", f"{NEWSDELTA} {command} | true"], capture_output=True, text=True, timeout=60, check=False)
        assert (piped.stderr, piped.returncode) == ("", 1)


def test_a_folder_given_as_the_archive_is_one_line_and_left_alone(standin: StandinServer, tmp_path: Path) -> None:
    """`crawl --db FOLDER` ended in the crawl process's IsADirectoryError traceback."""
    folder = tmp_path / "archives"
    folder.mkdir()
    for command in (("crawl", "--base-url", standin.url), ("status",), ("changes",), ("reclean",)):
        result = newsdelta(*command, "--db", str(folder))
        assert (result.returncode, result.stderr.strip()) == (1, f"newsdelta: error: {folder}: a folder, not an archive file")
    assert list(folder.iterdir()) == []


def test_settings_come_from_the_config_file_then_the_flags(live_site: StandinServer, tmp_path: Path) -> None:
    """DESIGN.md: settings from a TOML file, then flags. A crawl of one's own site behind a
    robots.txt that shuts every crawler out, say."""
    live_site.disallow("/")
    config = tmp_path / "newsdelta.toml"
    config.write_text("[settings]\nROBOTSTXT_OBEY = false\nDOWNLOAD_DELAYY = 2\n", "utf-8")

    def crawl_with(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return newsdelta("crawl", "--base-url", live_site.url, "--db", str(tmp_path / "a.db"), *args, env=env)

    assert crawl_with().returncode == 1  # robots.txt obeyed: nothing could be read
    from_file = crawl_with("--config", str(config))
    assert from_file.returncode == 0, from_file.stderr
    assert summary_counts(from_file.stdout)["new"] == len(live_site.site.articles())
    assert from_file.stderr == "newsdelta: warning: DOWNLOAD_DELAYY is not a setting of Scrapy's or newsdelta's: a typo?\n"
    overridden = crawl_with("-s", "ROBOTSTXT_OBEY=true", env={**os.environ, "NEWSDELTA_CONFIG": str(config)})
    assert overridden.returncode == 1 and "its robots.txt disallows every page" in overridden.stderr
    malformed = crawl_with("-s", "ROBOTSTXT_OBEY")
    assert (malformed.returncode, malformed.stderr) == (1, "newsdelta: error: -s 'ROBOTSTXT_OBEY': give NAME=VALUE, e.g. -s DOWNLOAD_DELAY=2\n")


def test_a_setting_whose_value_the_crawl_cannot_read_is_one_line_before_anything_is_written(standin: StandinServer, tmp_path: Path) -> None:
    """It was the crawl process's traceback, then 'ended with exit code 0 before starting a crawl'."""
    db = tmp_path / "a.db"
    config = tmp_path / "newsdelta.toml"
    config.write_text('[settings]\nNEWSDELTA_REMOVAL_CONFIRM_S = "an hour"\n', "utf-8")
    for args, error in [
        (("-s", "NEWSDELTA_BATCH_SIZE=abc"), "setting NEWSDELTA_BATCH_SIZE = 'abc': give a whole number"),
        (("-s", "DOWNLOAD_DELAY=soon"), "setting DOWNLOAD_DELAY = 'soon': give a number"),
        (("-s", "ROBOTSTXT_OBEY=maybe"), "setting ROBOTSTXT_OBEY = 'maybe': give true or false"),
        (("--config", str(config)), "setting NEWSDELTA_REMOVAL_CONFIRM_S = 'an hour': give a number"),
    ]:
        result = newsdelta("crawl", "--base-url", standin.url, "--db", str(db), *args)
        assert (result.returncode, result.stderr) == (1, f"newsdelta: error: {error}\n")
    assert not db.exists()
    assert newsdelta("crawl", "--base-url", standin.url, "--db", str(db), "--quiet", "-s", "DOWNLOAD_DELAY=0.01").returncode == 0


def test_a_long_crawl_shows_progress(live_site: StandinServer, db_path: Path) -> None:
    for article in live_site.site.articles()[::8]:
        live_site.delay(f"/{article.slug}/", 1.0)
    result = newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path), "-s", "NEWSDELTA_PROGRESS_INTERVAL=0.2")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("progress: ")]
    assert len(lines) >= 2 and all(" pages fetched, " in line and line.endswith(" failed") for line in lines)
    fetched = [int(line.split()[1]) for line in lines]
    assert fetched == sorted(fetched) and fetched[-1] > 0
