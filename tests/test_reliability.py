"""Faults, bad input and hostile pages: nothing lost, nothing falsely flagged.

Each fault is switched on in the running stand-in and crawled over real HTTP into a real
archive file; the archive is read back with SQL.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from scraper import ipc
from scraper.runner import CrawlOptions, run_crawl
from scraper.standin import StandinServer
from scraper.standin.server import respond
from scraper.writer import WriterConfig
from storage.archive import Archive
from storage.migrations import ArchiveError
from tests.support import NEWSDELTA, QUIET, ROOT, crawl, newsdelta, open_archive

SPICES = "spice-exports-climb-on-demand-from-west-asia"
SEED = "india-strengthens-defence-ties-with-japan-south-korea"
MAINTENANCE = b"<html><head><title>Maintenance</title></head><body><h1>Briefly unavailable for scheduled maintenance.</h1></body></html>"


def summary_failed(stdout: str) -> int:
    """The "failed" count of a crawl's summary."""
    return next(int(line.split()[1]) for line in stdout.splitlines() if line.split()[:1] == ["failed"])


def failures(db: Path, crawl_id: int) -> dict[str, dict]:
    with open_archive(db) as archive:
        rows = archive.db.query("select * from fetch_failures where crawl_id = ?", [crawl_id])
        return {row["url"]: row for row in rows}


def changes(db: Path, crawl_id: int) -> list[dict]:
    with open_archive(db) as archive:
        return list(archive.db.query("select * from changes where crawl_id = ?", [crawl_id]))


def versions(db: Path) -> int:
    with open_archive(db) as archive:
        return archive.db["versions"].count


def assert_nothing_flagged(db: Path, row: dict, failed: int) -> None:
    assert (row["failed"], row["edited"], row["removed"], row["new"], row["suspect"]) == (failed, 0, 0, 0, 0)
    assert changes(db, row["id"]) == []


@pytest.fixture
def archived(live_site: StandinServer, db_path: Path) -> dict:
    """The stand-in crawled once: what later faults must not disturb."""
    return crawl(live_site, db_path)


def test_connection_reset_mid_body(live_site: StandinServer, db_path: Path, archived: dict) -> None:
    url = live_site.article_url(SEED)
    live_site.fail(f"/{SEED}/", 200, b"<!DOCTYPE html><html><body><h1>India strength", reset=True)
    row = crawl(live_site, db_path)
    assert_nothing_flagged(db_path, row, failed=1)
    assert url in failures(db_path, row["id"])
    live_site.heal(f"/{SEED}/")
    recovered = crawl(live_site, db_path)
    assert (recovered["unchanged"], recovered["failed"]) == (archived["new"], 0)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_burst_of_server_errors_is_retried_away(live_site: StandinServer, db_path: Path, archived: dict, status: int) -> None:
    live_site.fail(f"/{SEED}/", status, times=2)  # two failures, then the page again
    row = crawl(live_site, db_path)
    assert (row["failed"], row["unchanged"], row["edited"]) == (0, archived["new"], 0)
    assert live_site.hits[("fault", status)] == 2


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(live_site: StandinServer, db_path: Path, archived: dict, status: int) -> None:
    live_site.fail(f"/{SEED}/", status, headers={"Retry-After": "1"}, times=2)
    started = time.monotonic()
    row = crawl(live_site, db_path)
    assert (row["failed"], row["unchanged"]) == (0, archived["new"])
    assert json.loads(row["stats"])["newsdelta/retry_after_waits"] == 2
    assert time.monotonic() - started >= 2  # it waited as asked, twice


def test_a_redirect_loop(live_site: StandinServer, db_path: Path, archived: dict) -> None:
    # The stand-in keys faults by path: /SEED/?loop=1 redirects to itself again, forever.
    live_site.fail(f"/{SEED}/", 301, b"", headers={"Location": f"{live_site.url}/{SEED}/?loop=1"})
    row = crawl(live_site, db_path)
    assert_nothing_flagged(db_path, row, failed=1)
    assert "redirect" in failures(db_path, row["id"])[live_site.article_url(SEED)]["reason"].lower()


def test_a_redirect_off_site_is_not_followed(live_site: StandinServer, db_path: Path, archived: dict) -> None:
    # .invalid never resolves: nothing leaves this machine even if the redirect were followed.
    live_site.fail(f"/{SEED}/", 302, b"", headers={"Location": "http://elsewhere.invalid/article/"})
    row = crawl(live_site, db_path)
    assert_nothing_flagged(db_path, row, failed=1)
    assert "redirected off-site to http://elsewhere.invalid/" in failures(db_path, row["id"])[live_site.article_url(SEED)]["reason"]


def test_an_article_replaced_by_a_meta_refresh_to_the_home_page(live_site: StandinServer, db_path: Path, archived: dict) -> None:
    # A taken-down article often becomes a page that refreshes to the home page.
    refresh = f'<html><head><meta http-equiv="refresh" content="0; url={live_site.url}/"></head><body>Moved.</body></html>'
    live_site.fail(f"/{SEED}/", 200, refresh.encode())
    row = crawl(live_site, db_path)
    assert_nothing_flagged(db_path, row, failed=1)
    failure = failures(db_path, row["id"])[live_site.article_url(SEED)]
    assert failure["reason"] == f"redirected to a page that is no article ({live_site.url}/)"
    with open_archive(db_path) as archive:  # a sign of a removal, confirmed (or not) by later crawls
        article = next(archive.db.query("select status, gone_since from articles where url = ?", [live_site.article_url(SEED)]))
    assert article["status"] == "live" and article["gone_since"]


def test_a_page_far_too_large_is_cut_not_buffered(live_site: StandinServer, db_path: Path, archived: dict) -> None:
    live_site.fail(f"/{SEED}/", 200, size=64 * 1024 * 1024)
    row = crawl(live_site, db_path, DOWNLOAD_MAXSIZE=2 * 1024 * 1024)
    assert_nothing_flagged(db_path, row, failed=1)
    reason = failures(db_path, row["id"])[live_site.article_url(SEED)]["reason"]
    assert "larger than" in reason or "maxsize" in reason.lower() or "Cancel" in reason
    assert json.loads(row["stats"]).get("downloader/response_bytes", 0) < 64 * 1024 * 1024


def test_a_pdf_where_an_article_was_linked(live_site: StandinServer, db_path: Path, archived: dict) -> None:
    live_site.fail(f"/{SEED}/", 200, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", content_type="application/pdf")
    row = crawl(live_site, db_path)
    assert_nothing_flagged(db_path, row, failed=1)
    assert "not a web page (application/pdf)" in failures(db_path, row["id"])[live_site.article_url(SEED)]["reason"]


@pytest.mark.parametrize(
    "encode_as, label",
    [("windows-1252", "UTF-8"), ("utf-8", "windows-1252")],
    ids=["cp1252-bytes-labelled-utf8", "utf8-bytes-labelled-cp1252"],
)
def test_a_wrong_charset_label_reads_the_same_words(
    live_site: StandinServer, db_path: Path, archived: dict, encode_as: str, label: str
) -> None:
    article = live_site.site.article(SPICES)
    assert article is not None
    page = live_site.site.render_article(article, live_site.url)
    page = page.replace(f'charset="{article.encoding}"', f'charset="{label}"')
    live_site.fail(f"/{SPICES}/", 200, page.encode(encode_as, "xmlcharrefreplace"), content_type=f"text/html; charset={label}")
    row = crawl(live_site, db_path)
    assert_nothing_flagged(db_path, row, failed=0)
    assert row["unchanged"] == archived["new"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><head><title>Page not found</title></head><body class='error404'><h1>Oops! That page can't be found.</h1></body></html>",
        b"\x00\x01\xff\xfe\x80\x81 not html at all \xc3\x28",
        b"<div>" * 20000 + b"deep" + b"</div>" * 20000,
    ],
    ids=["empty-200", "soft-404", "invalid-bytes", "deeply-nested"],
)
def test_pages_that_hold_no_article_flag_nothing(live_site: StandinServer, db_path: Path, archived: dict, body: bytes) -> None:
    live_site.fail(f"/{SEED}/", 200, body)
    for _ in range(2):  # twice in a row: still no removal, no edit
        row = crawl(live_site, db_path, NEWSDELTA_REMOVAL_CONFIRM_S=0)
        assert_nothing_flagged(db_path, row, failed=1)
    assert versions(db_path) == archived["new"]


def test_a_maintenance_page_for_every_url(live_site: StandinServer, db_path: Path, archived: dict) -> None:
    live_site.fail("*", 503, MAINTENANCE, headers={"Retry-After": "0"})
    row = crawl(live_site, db_path, NEWSDELTA_REMOVAL_CONFIRM_S=0)
    assert (row["edited"], row["removed"], row["new"]) == (0, 0, 0)
    assert row["failed"] >= archived["new"] + 2  # the sitemap, the home page, every archived article
    assert row["status"] == "failed" and row["error"].startswith(f"nothing could be read from {live_site.url}: ")
    assert "HTTP 503" in row["error"]
    assert {f"{live_site.url}/wp-sitemap.xml", f"{live_site.url}/"} <= set(failures(db_path, row["id"]))
    live_site.heal("*")
    recovered = crawl(live_site, db_path)
    assert (recovered["unchanged"], recovered["failed"], recovered["removed"]) == (archived["new"], 0, 0)
    assert (recovered["status"], recovered["error"]) == ("ok", None)


def test_a_site_that_went_down_fails_the_crawl_in_one_line_and_loses_nothing(
    live_site: StandinServer, db_path: Path, archived: dict
) -> None:
    """Connections refused everywhere: one error line, exit 1, no traceback from Scrapy or the
    helper processes, and the archive as it was but for the crawl's own rows."""
    stored = versions(db_path)
    live_site.stop()
    result = newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path))
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(f"newsdelta: error: nothing could be read from {live_site.url}: "), result.stderr
    assert "Connection was refused" in error
    assert "Traceback" not in result.stderr + result.stdout
    assert f"newsdelta crawl 2 (full, indbiz) failed: {live_site.url}" in result.stdout
    with open_archive(db_path) as archive:
        row = archive.crawl(2)
        live = archive.db.execute("select count(*) from articles where status = 'live'").fetchone()[0]
    assert (row["status"], row["new"], row["edited"], row["removed"]) == ("failed", 0, 0, 0)
    assert row["failed"] == archived["new"] + 2  # the sitemap, the home page, every archived article
    assert (versions(db_path), live) == (stored, archived["new"])
    assert changes(db_path, 2) == []


def test_a_discovery_page_that_fails_is_a_failure_of_the_crawl_not_of_an_article(
    live_site: StandinServer, db_path: Path
) -> None:
    """The sitemap fails; the listings still find every article. A sitemap that is not there
    (404) is no failure: profiles name sitemaps a site may not have (WordPress' core and Yoast's)."""
    articles = len(live_site.site.articles())
    live_site.fail("/wp-sitemap.xml", 500)
    row = crawl(live_site, db_path)
    assert (row["status"], row["error"], row["new"], row["failed"]) == ("ok", None, articles, 1)
    failed = failures(db_path, row["id"])[f"{live_site.url}/wp-sitemap.xml"]
    assert (failed["status"], failed["reason"]) == (500, "HTTP 500")
    live_site.fail("/wp-sitemap.xml", 404)
    live_site.fail("/page/2/", 404)  # a listing page the home page links to is no guess
    row = crawl(live_site, db_path)
    assert (row["status"], row["failed"]) == ("ok", 1)
    assert set(failures(db_path, row["id"])) == {f"{live_site.url}/page/2/"}


POST_SITEMAP = "/wp-sitemap-posts-post-1.xml"


def test_a_gzipped_sitemap_is_read(live_site: StandinServer, db_path: Path) -> None:
    """Sitemap plugins write `.xml.gz` files, served as application/gzip with no
    Content-Encoding: Scrapy's SitemapSpider gunzips them, and so does the site spider."""
    _, _, _, xml, _ = respond(live_site.site, live_site.url, POST_SITEMAP, {})
    live_site.fail(POST_SITEMAP, status=200, body=gzip.compress(xml), content_type="application/x-gzip")
    live_site.fail("/", status=503)  # the listings are down: only the sitemap lists the articles
    row = crawl(live_site, db_path)
    assert (row["new"], row["failed"]) == (len(live_site.site.articles()), 1)
    assert set(failures(db_path, row["id"])) == {f"{live_site.url}/"}


def test_a_gzipped_sitemap_too_large_once_unpacked_is_a_failure_not_a_crash(
    live_site: StandinServer, db_path: Path
) -> None:
    """A gzip bomb: 9 MB of sitemap in 9 KB, past DOWNLOAD_MAXSIZE (8 MB) once unpacked."""
    _, _, _, xml, _ = respond(live_site.site, live_site.url, POST_SITEMAP, {})
    bomb = gzip.compress(xml + b" " * (9 * 1024 * 1024))
    live_site.fail(POST_SITEMAP, status=200, body=bomb, content_type="application/x-gzip")
    row = crawl(live_site, db_path)
    assert (row["status"], row["new"], row["failed"]) == ("ok", len(live_site.site.articles()), 1)
    failed = failures(db_path, row["id"])[f"{live_site.url}{POST_SITEMAP}"]
    assert failed["reason"] == "sitemap larger than DOWNLOAD_MAXSIZE (8,388,608 bytes) once unpacked"


def test_an_endless_pagination_trap_ends(live_site: StandinServer, db_path: Path) -> None:
    live_site.site.endless_pagination = True
    row = crawl(live_site, db_path)
    assert (row["status"], row["new"]) == ("ok", len(live_site.site.articles()))
    assert live_site.hits[("listing", 200)] <= live_site.site.page_count() + 1


def test_calendar_archives_are_never_followed(standin: StandinServer, db_path: Path) -> None:
    standin.reset_hits()
    crawl(standin, db_path)
    assert standin.hits[("calendar", 200)] == 0


def test_tracking_parameters_and_fragments_do_not_duplicate_articles(live_site: StandinServer, db_path: Path) -> None:
    live_site.site.tracking_links = True
    row = crawl(live_site, db_path)
    total = len(live_site.site.articles())
    assert row["new"] == total
    assert live_site.hits[("article", 200)] == total  # each fetched once
    with open_archive(db_path) as archive:
        assert [r for r in archive.db.query("select url from articles where url like '%utm_%' or url like '%#%'")] == []


def test_robots_txt_disallowing_a_section_is_obeyed_and_said(live_site: StandinServer, db_path: Path) -> None:
    live_site.disallow("/spice-")
    result = newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    assert "robots.txt disallowed 1 URL(s)" in result.stdout
    with open_archive(db_path) as archive:
        urls = {row["url"] for row in archive.db.query("select url from articles")}
    assert live_site.article_url(SPICES) not in urls and len(urls) == len(live_site.site.articles()) - 1


def test_a_sitemap_that_is_no_sitemap_is_a_failure_not_a_traceback(live_site: StandinServer, db_path: Path) -> None:
    """An empty 200 where the sitemap index points: one failure under its URL. A page of HTML
    where the profile only guesses a sitemap (a soft 404): no sitemap there, no failure."""
    posts = "/wp-sitemap-posts-post-1.xml"
    live_site.fail(posts, 200, b"")
    result = newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Spider error" not in result.stderr, result.stderr
    assert summary_failed(result.stdout) == 1
    assert failures(db_path, 1)[f"{live_site.url}{posts}"]["reason"] == "not a sitemap (no XML)"
    live_site.heal(posts)
    live_site.fail("/wp-sitemap.xml", 200, b"<html><body><h1>Page not found</h1></body></html>")
    row = crawl(live_site, db_path)
    assert (row["status"], row["failed"], row["unchanged"]) == ("ok", 0, len(live_site.site.articles()))


def test_robots_txt_crawl_delay_is_honoured_and_said(live_site: StandinServer, db_path: Path) -> None:
    """Scrapy reads only Allow and Disallow; a site that asks for a pause between requests
    gets it, in full, even though AutoThrottle would shorten it and Scrapy randomises delays."""
    live_site.ask_crawl_delay(0.4)
    urls = [live_site.article_url(article.slug) for article in live_site.site.articles()[:4]]
    result = newsdelta("crawl", "--base-url", live_site.url, *[arg for url in urls for arg in ("--url", url)], "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    pages = [moment for moment, path in live_site.arrivals if path != "/robots.txt"]
    assert len(pages) == len(urls)
    assert min(later - earlier for earlier, later in itertools.pairwise(pages)) >= 0.39  # a lower bound: the pause itself
    assert "  robots.txt Crawl-delay: one request every 0.4 s" in result.stdout.splitlines()


def test_robots_txt_disallowing_everything_fails_the_crawl_in_one_line(live_site: StandinServer, db_path: Path) -> None:
    live_site.disallow("/")
    result = newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"newsdelta: error: nothing could be read from {live_site.url}: its robots.txt disallows every page asked for (2)"
    )
    with open_archive(db_path) as archive:
        assert (archive.crawl(1)["status"], archive.db["articles"].count) == ("failed", 0)


def integrity(db: Path) -> None:
    with open_archive(db) as archive:
        assert archive.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        half_written = archive.db.execute(
            "select count(*) from versions where id not in (select version_id from changes where version_id is not null)"
        ).fetchone()[0]
        assert half_written == 0


def archive_made(db: Path) -> bool:
    """Whether `db` is an archive a reader can open (created, its schema written)."""
    try:
        with open_archive(db):
            return True
    except ArchiveError:
        return False


def test_kill_9_at_random_points_loses_nothing(live_site: StandinServer, db_path: Path) -> None:
    for article in live_site.site.articles()[::4]:
        live_site.delay(f"/{article.slug}/", 0.4)  # slow enough to be killed mid-crawl
    rng = random.Random(7)
    for _ in range(3):
        started = time.monotonic()
        crawler = subprocess.Popen(
            [NEWSDELTA, "crawl", "--base-url", live_site.url, "--db", str(db_path), "--quiet"],
            cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        kill_at = started + rng.uniform(1.0, 3.0)
        # Not before the first crawl has made its archive: on a loaded machine its start-up
        # alone took longer than 1.65 s, and a kill then left no archive to check.
        while not archive_made(db_path) and time.monotonic() < started + 60:
            time.sleep(0.01)
        time.sleep(max(0.0, kill_at - time.monotonic()))
        os.killpg(crawler.pid, signal.SIGKILL)  # the CLI and its crawl process
        crawler.wait()
        integrity(db_path)
    done = newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path), "--quiet")
    assert done.returncode == 0, done.stderr
    integrity(db_path)
    with open_archive(db_path) as archive:
        assert archive.db["articles"].count == len(live_site.site.articles())
        assert archive.db["versions"].count == archive.db.execute("select count(*) from changes where kind = 'new'").fetchone()[0]
        statuses = [row["status"] for row in archive.db.query("select status from crawls order by id")]
    assert statuses[-1] == "ok" and "running" not in statuses


def descendant(pid: int, module: str, timeout: float = 30) -> int:
    """The pid of the process running `python -m module` under `pid`, once it has started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = [pid]
        while pending:
            parent = pending.pop()
            try:
                children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                try:
                    if module in Path(f"/proc/{child}/cmdline").read_bytes().decode().split("\0"):
                        return child
                except OSError:
                    continue
                pending.append(child)
        time.sleep(0.05)
    raise AssertionError(f"no `python -m {module}` under {pid}")


def edits(db: Path) -> int:
    with open_archive(db) as archive:
        return archive.db.execute("select count(*) from changes where kind = 'edited'").fetchone()[0]


def test_a_writer_whose_crawl_ended_before_the_archive_was_open_exits_quietly(db_path: Path) -> None:
    """A recheck with nothing due ends at once: its writer, still opening the archive, found
    the crawl's end of the socket closed when it said it was ready, and printed a traceback."""
    ours, theirs = socket.socketpair()
    with theirs:
        writer = subprocess.Popen(
            [sys.executable, "-m", "scraper.writer", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stderr=subprocess.PIPE,
            cwd=ROOT,
        )
    with ours:
        ipc.send(ours, WriterConfig(db=str(db_path), crawl_id=1))
    _, stderr = writer.communicate(timeout=30)
    assert (writer.returncode, stderr.decode()) == (0, "")


def test_a_killed_archive_writer_stops_the_crawl_in_one_line_and_loses_nothing(
    live_site: StandinServer, db_path: Path, archived: dict, tmp_path: Path
) -> None:
    articles = live_site.site.articles()
    for article in articles:
        live_site.site.edit_paragraph(article.slug, 0, f"Edited before the writer was killed: {article.slug}.")
        live_site.delay(f"/{article.slug}/", 0.5)
    unguarded = {"NEWSDELTA_GUARD_SHARE": 1.0}  # every article is edited: not a mass edit here
    options = CrawlOptions(db=str(db_path), base_url=live_site.url, settings={**QUIET, **unguarded, "NEWSDELTA_BATCH_SIZE": 4})
    result = tmp_path / "result.json"
    runner = subprocess.Popen([sys.executable, "-m", "scraper.runner", json.dumps(asdict(options)), str(result)], cwd=ROOT)
    writer = descendant(runner.pid, "scraper.writer")
    deadline = time.monotonic() + 30
    while edits(db_path) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(writer, signal.SIGKILL)
    assert runner.wait(timeout=60) == 1
    error = json.loads(result.read_text())["error"]
    assert "the archive writer process exited: this batch was not written" in error and "\n" not in error
    integrity(db_path)
    with open_archive(db_path) as archive:
        row = archive.db.execute("select status, edited from crawls order by id desc limit 1").fetchone()
        written = archive.db.execute("select count(*) from versions").fetchone()[0]
    assert row[0] == "failed" and 0 < row[1] < len(articles)
    assert written == archived["new"] + edits(db_path)  # every version has its change, no more
    for article in articles:
        live_site.delay(f"/{article.slug}/", 0)
    again = crawl(live_site, db_path, **unguarded)
    assert again["status"] == "ok" and edits(db_path) == len(articles)


READER = """
import sqlite3, sys
reader = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, isolation_level=None)
count = lambda: reader.execute("select count(*) from versions").fetchone()[0]
reader.execute("BEGIN")  # a long Datasette query: one snapshot throughout
print(count(), flush=True)
sys.stdin.readline()  # ... while the crawl runs
print(count(), flush=True)
reader.execute("COMMIT")
print(count(), flush=True)
"""


def test_a_long_read_while_a_crawl_writes(live_site: StandinServer, db_path: Path, archived: dict) -> None:
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert reader.stdin is not None and reader.stdout is not None
    before = int(reader.stdout.readline())
    for article in live_site.site.articles()[:5]:
        live_site.site.edit_paragraph(article.slug, 0, f"Edited while someone was reading: {article.slug}.")
    row = crawl(live_site, db_path)
    out, _ = reader.communicate("go\n", timeout=30)
    during, after = map(int, out.split())
    assert (row["status"], row["edited"]) == ("ok", 5)
    assert (before, during, after) == (archived["new"], archived["new"], archived["new"] + 5)


def test_a_truncated_archive_is_refused_and_left_untouched(live_site: StandinServer, db_path: Path, archived: dict, tmp_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    truncated = tmp_path / "truncated.db"
    data = db_path.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    result = newsdelta("crawl", "--base-url", live_site.url, "--db", str(truncated))
    assert result.returncode == 1 and "damaged" in result.stderr and result.stderr.count("\n") == 1
    assert truncated.read_bytes() == data[: len(data) // 2]


def test_an_archive_caught_mid_checkpoint_is_read_not_called_damaged(live_site: StandinServer, db_path: Path, archived: dict) -> None:
    """A checkpoint writes page 1, with the new page count, before the pages past the file's
    end: `newsdelta status` beside a running crawl answered "damaged: truncated"."""
    writer = sqlite3.connect(db_path, isolation_level=None)
    try:
        writer.execute("PRAGMA wal_autocheckpoint = 0")  # the new pages stay in the log
        writer.execute("create table ballast (x blob)")
        writer.executemany("insert into ballast values (?)", [(bytes(4000),) for _ in range(200)])
        with db_path.open("r+b") as file:  # the header as the checkpoint's first write leaves it
            header = bytearray(file.read(100))
            pages = int.from_bytes(header[28:32], "big") + 250
            header[28:32] = pages.to_bytes(4, "big")
            file.seek(0)
            file.write(header)
        assert pages * int.from_bytes(header[16:18], "big") > db_path.stat().st_size
        result = newsdelta("status", "--db", str(db_path))
        assert result.returncode == 0, result.stderr
    finally:
        writer.close()


def test_an_older_schema_is_migrated_after_a_backup(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import storage.migrations as migrations

    Archive.open(db_path).close()
    original = db_path.read_bytes()
    current = migrations.SCHEMA_VERSION
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(migrations.MIGRATIONS, current + 1, lambda db: db["articles"].add_column("paywalled", int))
    with Archive.open(db_path) as archive:
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == current + 1
        assert "paywalled" in archive.db["articles"].columns_dict
    backup = db_path.with_name(f"archive.db.v{current}.bak")
    assert backup.exists()
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == current
    assert len(original) > 0


def test_a_full_disk_stops_the_crawl_cleanly(live_site: StandinServer, db_path: Path, archived: dict) -> None:
    size_mb = db_path.stat().st_size / 1024 / 1024
    for article in live_site.site.articles():
        live_site.site.edit_paragraph(article.slug, 0, "A long new paragraph. " * 200)
    # The archive's size cap fails writes exactly as a full disk does ("database or disk is full").
    options = CrawlOptions(db=str(db_path), base_url=live_site.url, settings={**QUIET, "NEWSDELTA_MAX_DB_MB": size_mb + 0.05})
    with pytest.raises(ArchiveError, match="full: nothing more was written"):
        run_crawl(options)
    integrity(db_path)
    with open_archive(db_path) as archive:
        assert archive.db["articles"].count == archived["new"]  # nothing lost
        edited = archive.db.execute("select count(*) from changes where kind = 'edited'").fetchone()[0]
        assert archive.db["versions"].count == archived["new"] + edited


def read_only_mount(folder: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """Run `command` where `folder` is a read-only file system (a private bind mount).

    As root, file modes cannot make an archive read-only; a read-only mount can, for root too.
    """
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return subprocess.run(
        ["unshare", "--mount", "sh", "-c", script, str(folder), *command],
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_a_read_only_archive_is_refused_in_one_line_and_still_read(
    live_site: StandinServer, db_path: Path, archived: dict
) -> None:
    probe = read_only_mount(db_path.parent, "true")
    if probe.returncode != 0:
        pytest.skip(f"no mount namespace here to make a read-only file system: {probe.stderr.strip()}")
    before = db_path.read_bytes()
    crawled = read_only_mount(db_path.parent, NEWSDELTA, "crawl", "--db", str(db_path), "--base-url", live_site.url)
    assert crawled.returncode == 1
    assert crawled.stderr.strip().splitlines() == [
        f"newsdelta: error: cannot write beside the archive (Read-only file system): {db_path}.lock"
    ]
    assert db_path.read_bytes() == before
    read = read_only_mount(db_path.parent, NEWSDELTA, "changes", "--db", str(db_path), "--format", "json", "--limit", "1000")
    assert read.returncode == 0, read.stderr
    assert len(json.loads(read.stdout)) == archived["new"]
