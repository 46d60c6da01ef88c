"""Change tracking a journalist can trust: removals, rechecks, redesigns, no false alarms.

Every test crawls the stand-in over HTTP into a real archive and reads the archive back.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

import scraper.clean.blocks as blocks
from scraper.lock import EXIT_LOCKED, CrawlLock
from scraper.reclean import reclean
from scraper.runner import CrawlOptions, run_crawl
from scraper.standin import StandinServer, StandinSite
from scraper.standin.server import respond
from scraper.standin.site import load_bundled
from storage.archive import Archive
from tests.support import QUIET, crawl, newsdelta, open_archive, tls_for_127_0_0_1

SEED = "india-strengthens-defence-ties-with-japan-south-korea"
#: Removals are confirmed by a second 404 at least this long after the first (an hour by default).
NOW = {"NEWSDELTA_REMOVAL_CONFIRM_S": 0}


def kinds(db: Path, crawl_id: int) -> list[tuple[str, str, list[str]]]:
    with open_archive(db) as archive:
        return [
            (row["kind"], row["url"], json.loads(row["fields"] or "[]"))
            for row in archive.db.query(
                "select changes.kind, articles.url, changes.fields from changes join articles on articles.id = article_id "
                "where crawl_id = ? order by changes.id",
                [crawl_id],
            )
        ]


def article(db: Path, url: str) -> dict:
    with open_archive(db) as archive:
        return next(archive.db.query("select * from articles where url = ?", [url]))


def test_a_silent_edit_is_caught_by_recheck(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    target = live_site.site.articles()[30]
    live_site.site.edit_paragraph(target.slug, 0, "Words changed without a new date or lastmod.", bump_modified=False)
    row = crawl(live_site, db_path, mode="recheck", NEWSDELTA_RECHECK_ALL=True)
    assert kinds(db_path, row["id"]) == [("edited", live_site.article_url(target.slug), ["body"])]
    assert (row["edited"], row["unchanged"]) == (1, len(live_site.site.articles()) - 1)


def test_an_unchanged_recheck_is_all_304s(live_site: StandinServer, db_path: Path) -> None:
    first = crawl(live_site, db_path)
    live_site.reset_hits()
    row = crawl(live_site, db_path, mode="recheck", NEWSDELTA_RECHECK_ALL=True)
    assert live_site.hits[("article", 304)] == first["new"]
    assert live_site.hits[("article", 200)] == 0
    assert (row["unchanged"], row["edited"], row["new"]) == (first["new"], 0, 0)
    with open_archive(db_path) as archive:
        assert archive.db["versions"].count == first["new"]


def test_recheck_only_fetches_what_is_due_or_newer_in_the_sitemap(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    live_site.site.edit_paragraph(SEED, 0, "A dated edit: the sitemap's lastmod moves.")
    live_site.reset_hits()
    row = crawl(live_site, db_path, mode="recheck")  # nothing is due an hour after a full crawl
    assert live_site.hits[("article", 200)] == 1  # only the article whose lastmod is newer
    assert kinds(db_path, row["id"]) == [("edited", live_site.article_url(SEED), ["body"])]


@pytest.mark.parametrize(
    "status, body",
    [
        (503, b"<html><body><h1>Service Unavailable</h1></body></html>"),
        (200, b"<html><head><title>Maintenance</title></head><body><h1>Briefly unavailable for scheduled maintenance. Check back in a minute.</h1></body></html>"),
        (200, b""),
        (403, b"<html><body><form id='loginform'><input name='log'></form></body></html>"),
    ],
    ids=["503-burst", "maintenance-page", "empty-200", "login-wall"],
)
def test_outages_and_error_pages_flag_nothing(live_site: StandinServer, db_path: Path, status: int, body: bytes) -> None:
    first = crawl(live_site, db_path)
    for target in live_site.site.articles()[:3]:
        live_site.fail(f"/{target.slug}/", status, body)
    for _ in range(2):  # twice: a repeated outage is still no removal
        row = crawl(live_site, db_path, **NOW)
        assert (row["failed"], row["edited"], row["removed"], row["new"]) == (3, 0, 0, 0)
        assert kinds(db_path, row["id"]) == []
    assert {article(db_path, live_site.article_url(a.slug))["status"] for a in live_site.site.articles()[:3]} == {"live"}
    with open_archive(db_path) as archive:
        assert archive.db["versions"].count == first["new"]


#: What WordPress (5.2+) prints when PHP fails after the page has begun: its fatal-error
#: handler's wp_die() page, after whatever was sent, still HTTP 200.
WP_CRITICAL_ERROR = (
    b'<!DOCTYPE html><html dir="ltr" lang="en-US"><head><meta charset="UTF-8" /><title>WordPress &rsaquo; Error</title>'
    b'</head><body id="error-page"><div class="wp-die-message"><p>There has been a critical error on this website.</p>'
    b'<p><a href="https://wordpress.org/documentation/article/faq-troubleshooting/">Learn more about troubleshooting WordPress.</a></p>'
    b"</div></body></html>"
)
#: PHP's own error output (display_errors on, html_errors on).
PHP_FATAL = b"<br />\n<b>Fatal error</b>:  Allowed memory size of 134217728 bytes exhausted in <b>/var/www/html/wp-includes/formatting.php</b> on line <b>4364</b><br />\n"


@pytest.mark.parametrize(
    "ending",
    [b"", WP_CRITICAL_ERROR, PHP_FATAL],
    ids=["cut-short", "wordpress-critical-error", "php-fatal-error"],
)
def test_a_page_cut_short_with_http_200_flags_nothing(live_site: StandinServer, db_path: Path, ending: bytes) -> None:
    """PHP dies half-way through an article (memory, a plugin's bug): the status is already
    200, the page stops mid-body, WordPress or PHP may add an error message. Read as it came,
    it was an edit that dropped half the body. It is a failure, twice over, never an edit."""
    crawl(live_site, db_path)
    _, _, _, page, _ = respond(live_site.site, live_site.url, f"/{SEED}/", {})
    cut = page[: page.index(b"Later, Shri Rajnath Singh")] + ending
    live_site.fail(f"/{SEED}/", 200, cut)
    for _ in range(2):
        row = crawl(live_site, db_path, **NOW)
        assert (row["failed"], row["edited"], row["removed"], row["suspect"]) == (1, 0, 0, 0)
    with open_archive(db_path) as archive:
        reason = next(archive.db.query("select reason from fetch_failures where crawl_id = ?", [row["id"]]))["reason"]
    assert reason.startswith("extraction failed: the page is incomplete")
    assert article(db_path, live_site.article_url(SEED))["version_count"] == 1


def test_an_article_made_password_protected_is_a_failure_not_an_edit(live_site: StandinServer, db_path: Path) -> None:
    """An editor hides an article behind WordPress' "Password protected" visibility (a legal
    review, say): its page shows "Protected: TITLE" and a password form. Nothing of the article
    changed; when it is public again, nothing did."""
    crawl(live_site, db_path)
    url = live_site.article_url(SEED)
    live_site.site.protect_article(SEED)
    hidden = crawl(live_site, db_path, **NOW)
    assert (hidden["edited"], hidden["suspect"], hidden["removed"], hidden["failed"]) == (0, 0, 0, 1)
    listed = newsdelta("failures", "--crawl", str(hidden["id"]), "--db", str(db_path)).stdout
    assert listed.rstrip().endswith(f"200  {url}  extraction failed: the article is password protected")
    assert crawl(live_site, db_path, **NOW)["removed"] == 0  # a failure, however often
    live_site.site.protect_article(SEED, False)
    public = crawl(live_site, db_path, **NOW)
    assert (public["edited"], public["restored"], public["failed"]) == (0, 0, 0)
    assert article(db_path, url)["version_count"] == 1


def test_a_timeout_flags_nothing(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    target = live_site.site.articles()[5]
    live_site.delay(f"/{target.slug}/", 3.0)
    row = crawl(live_site, db_path, DOWNLOAD_TIMEOUT=1, RETRY_TIMES=0)
    assert (row["failed"], row["edited"], row["removed"]) == (1, 0, 0)
    with open_archive(db_path) as archive:
        reason = next(archive.db.query("select reason from fetch_failures where crawl_id = ?", [row["id"]]))["reason"]
    assert "TimeoutError" in reason or "timed out" in reason.lower()


def test_404_twice_is_a_removal_and_its_return_a_restore(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    url = live_site.article_url(SEED)
    taken_down = live_site.site.remove_article(SEED)
    once = crawl(live_site, db_path, **NOW)
    assert (once["removed"], once["failed"]) == (0, 1)
    assert article(db_path, url)["status"] == "live"  # one 404 may be a glitch
    twice = crawl(live_site, db_path, **NOW)
    assert kinds(db_path, twice["id"]) == [("removed", url, [])]
    assert article(db_path, url)["status"] == "removed"
    listed = newsdelta("failures", "--db", str(db_path)).stdout.splitlines()
    assert [(line.split()[1], line.split()[3]) for line in listed] == [(str(once["id"]), "404")]  # not the removal
    shown = newsdelta("show", url, "--db", str(db_path))
    assert shown.returncode == 0 and shown.stdout.startswith(taken_down.title)
    removed_at = article(db_path, url)["last_changed"]
    assert shown.stderr == f"newsdelta: note: the site removed this article ({removed_at}: HTTP 404); this is what it archived\n"
    live_site.site.add_article(taken_down)
    back = crawl(live_site, db_path, **NOW)
    assert kinds(db_path, back["id"]) == [("restored", url, [])]
    assert article(db_path, url)["status"] == "live"
    assert newsdelta("show", url, "--db", str(db_path)).stderr == ""
    # `history` told only the versions: a removed article looked as live as ever.
    history = newsdelta("history", url, "--db", str(db_path)).stdout.splitlines()
    assert [(line.split()[0], line.split()[3], line.split()[4]) for line in history] == [
        ("v1", "1", "new"), ("--", str(twice["id"]), "removed"), ("v1", str(back["id"]), "restored")
    ]
    assert history[1].endswith("removed   HTTP 404")  # what showed it, where a version has its title
    assert history[2].endswith(f"restored  {taken_down.title}")


def test_a_second_404_within_the_hour_is_not_yet_a_removal(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    live_site.site.remove_article(SEED)
    crawl(live_site, db_path)
    row = crawl(live_site, db_path)  # default: the second 404 must come an hour later
    assert row["removed"] == 0
    assert article(db_path, live_site.article_url(SEED))["status"] == "live"


def test_410_once_is_a_removal(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    live_site.site.remove_article(SEED, status=410)
    row = crawl(live_site, db_path)
    assert kinds(db_path, row["id"]) == [("removed", live_site.article_url(SEED), [])]
    # `failures` lists what the summary counts as failed: a removal is in `changes`, not there.
    assert row["failed"] == 0
    listed = newsdelta("failures", "--crawl", str(row["id"]), "--db", str(db_path))
    assert (listed.returncode, listed.stdout) == (0, "no failures\n")


@pytest.mark.parametrize("mode", ["full", "recheck"])
def test_an_article_whose_slug_changed_keeps_its_history_at_the_new_url(
    live_site: StandinServer, db_path: Path, mode: str
) -> None:
    """An editor retitles an article and changes its slug; WordPress answers the old slug with a
    301 to the new one. The page's post ID (`postid-N`) is the one archived: the row moves to
    the new URL with its history, and the new headline is an edit of the title. Before, the
    article was removed at the old URL and new at the new one, and the edit was never seen."""
    crawl(live_site, db_path)
    new_slug = "india-deepens-defence-ties-with-japan-and-south-korea"
    new_title = "India deepens defence ties with Japan and South Korea"
    live_site.site.move_article(SEED, new_slug, title=new_title)
    old_url, new_url = live_site.article_url(SEED), live_site.article_url(new_slug)
    row = crawl(live_site, db_path, mode=mode, NEWSDELTA_RECHECK_ALL=True)
    assert kinds(db_path, row["id"]) == [("edited", new_url, ["title"])]
    assert (row["new"], row["removed"], row["edited"], row["failed"]) == (0, 0, 1, 0)
    assert json.loads(row["stats"])["newsdelta/moved"] == 1
    moved = article(db_path, new_url)
    assert (moved["status"], moved["version_count"], moved["title"], moved["post_id"]) == ("live", 2, new_title, "1008")
    with open_archive(db_path) as archive:
        assert archive.db.execute("select count(*) from articles where url = ?", [old_url]).fetchone()[0] == 0
    history = newsdelta("history", old_url, "--db", str(db_path))  # the old address still finds it
    lines = history.stdout.splitlines()
    assert [line.split()[:1] + line.split()[4:5] for line in lines] == [["v1", "new"], ["v2", "edited"]]
    assert lines[0].endswith(f"India strengthens defence ties with Japan, South Korea  (at {old_url})")
    assert lines[1].endswith(f"[title]  {new_title}")
    shown = newsdelta("show", old_url, "--db", str(db_path))
    assert shown.stdout.startswith(new_title)
    assert shown.stderr == f"newsdelta: note: this article has moved to {new_url}\n"
    again = crawl(live_site, db_path, mode=mode, NEWSDELTA_RECHECK_ALL=True)
    assert (again["new"], again["removed"], again["edited"], again["failed"]) == (0, 0, 0, 0)


@pytest.mark.parametrize("mode", ["full", "recheck"])
def test_an_article_whose_slug_changed_on_a_page_without_a_post_id_is_removed_at_the_old_url_and_new_at_the_new(
    live_site: StandinServer, db_path: Path, mode: str
) -> None:
    """A theme that prints no post ID: nothing says the new URL's article is the old one. The
    archive keeps a row per canonical URL: the old URL's article is removed, with the fetch
    that shows where it went kept as evidence, and the new URL's is new. Before, the old one
    stayed live for ever."""
    live_site.site.hide_post_ids()
    crawl(live_site, db_path)
    new_slug = "india-deepens-defence-ties-with-japan-and-south-korea"
    live_site.site.move_article(SEED, new_slug, title="India deepens defence ties with Japan and South Korea")
    old_url, new_url = live_site.article_url(SEED), live_site.article_url(new_slug)
    row = crawl(live_site, db_path, mode=mode, NEWSDELTA_RECHECK_ALL=True)
    assert sorted(kinds(db_path, row["id"])) == [("new", new_url, []), ("removed", old_url, [])]
    assert (row["new"], row["removed"], row["edited"], row["failed"]) == (1, 1, 0, 0)
    assert article(db_path, old_url)["status"] == "removed"
    with open_archive(db_path) as archive:
        evidence = list(archive.db.query("select status, reason from fetch_failures where url = ?", [old_url]))
    assert evidence == [{"status": 301, "reason": f"moved to {new_url}"}]
    shown = newsdelta("show", old_url, "--db", str(db_path))
    assert shown.stdout.startswith("India strengthens defence ties")  # what it was, where it was
    assert f"removed this article ({article(db_path, old_url)['last_changed']}: moved to {new_url})" in shown.stderr
    again = crawl(live_site, db_path, mode=mode, NEWSDELTA_RECHECK_ALL=True)
    assert (again["new"], again["removed"], again["edited"], again["failed"]) == (0, 0, 0, 0)


def test_an_old_address_that_leads_to_another_post_is_removed_there(live_site: StandinServer, db_path: Path) -> None:
    """The site takes an article down and redirects its address to another article (a
    redirection plugin's rule): the post IDs differ, so it is a removal, not a move."""
    first = crawl(live_site, db_path)
    other = live_site.site.articles()[3]
    old_url, other_url = live_site.article_url(SEED), live_site.article_url(other.slug)
    live_site.site.remove_article(SEED)
    live_site.fail(f"/{SEED}/", 301, b"", headers={"Location": other_url})
    row = crawl(live_site, db_path, mode="recheck", NEWSDELTA_RECHECK_ALL=True)
    assert kinds(db_path, row["id"]) == [("removed", old_url, [])]
    assert (row["removed"], row["new"], row["edited"], row["failed"]) == (1, 0, 0, 0)
    # Its 304, and its page after the redirect: one article, counted once.
    assert row["unchanged"] == first["new"] - 1
    assert article(db_path, other_url)["version_count"] == 1
    with open_archive(db_path) as archive:
        evidence = list(archive.db.query("select status, reason from fetch_failures where url = ?", [old_url]))
    assert evidence == [{"status": 301, "reason": f"moved to {other_url}"}]


def test_a_second_address_of_a_post_that_comes_to_redirect_to_the_first_is_removed(live_site: StandinServer, db_path: Path) -> None:
    """The site served one post at two addresses, each page naming itself, and archived as two
    rows; then the second redirects to the first. The second row is removed: the post ID
    agrees, but the first address has its own row, so this is no move."""
    url, copy = live_site.article_url(SEED), f"{live_site.url}/{SEED}-copy/"
    page = respond(live_site.site, live_site.url, f"/{SEED}/", {})[3]
    live_site.fail(f"/{SEED}-copy/", 200, page.replace(f'rel="canonical" href="{url}"'.encode(), f'rel="canonical" href="{copy}"'.encode()))
    both = run_crawl(CrawlOptions(db=str(db_path), mode="urls", base_url=live_site.url, urls=[url, copy], settings=QUIET))
    assert both["new"] == 2
    assert article(db_path, url)["post_id"] == article(db_path, copy)["post_id"] == "1008"
    live_site.fail(f"/{SEED}-copy/", 301, b"", headers={"Location": url})
    row = crawl(live_site, db_path, mode="recheck", NEWSDELTA_RECHECK_ALL=True)
    assert kinds(db_path, row["id"]) == [("removed", copy, [])]
    assert (row["removed"], row["new"], row["edited"], row["failed"]) == (1, 0, 0, 0)
    assert article(db_path, url)["status"] == "live"


@pytest.mark.parametrize("post_ids", ["shown", "hidden"])
def test_an_article_whose_page_names_another_address_as_its_own_moves_there(
    live_site: StandinServer, db_path: Path, post_ids: str
) -> None:
    """The old address still answers 200, but its page's canonical URL is a new one. With the
    same post ID on both pages the row moves to the new address at once, its history with it.
    Without one the article is archived there as new, and the old row, which no fetch would
    ever update again, is removed when the page says so twice an hour apart."""
    live_site.site.hide_post_ids(post_ids == "hidden")
    crawl(live_site, db_path)
    new_slug = "india-deepens-defence-ties-with-japan-and-south-korea"
    old_url, new_url = live_site.article_url(SEED), live_site.article_url(new_slug)
    page = respond(live_site.site, live_site.url, f"/{SEED}/", {})[3]
    live_site.site.move_article(SEED, new_slug)  # listed at its new address only
    live_site.fail(f"/{SEED}/", 200, page.replace(f'rel="canonical" href="{old_url}"'.encode(), f'rel="canonical" href="{new_url}"'.encode()))
    once = crawl(live_site, db_path, **NOW)
    if post_ids == "shown":
        assert kinds(db_path, once["id"]) == []
        assert (once["new"], once["removed"], once["failed"]) == (0, 0, 0)
        assert article(db_path, new_url)["version_count"] == 1
        twice = crawl(live_site, db_path, **NOW)
        assert (twice["new"], twice["removed"], twice["edited"], twice["failed"]) == (0, 0, 0, 0)
        return
    assert kinds(db_path, once["id"]) == [("new", new_url, [])]
    assert article(db_path, old_url)["status"] == "live"  # one sight may be a plugin's glitch
    twice = crawl(live_site, db_path, **NOW)
    assert kinds(db_path, twice["id"]) == [("removed", old_url, [])]
    assert (twice["removed"], twice["new"], twice["failed"]) == (1, 0, 0)
    with open_archive(db_path) as archive:
        evidence = [row["reason"] for row in archive.db.query("select reason from fetch_failures where url = ?", [old_url])]
    assert evidence == [f"moved to {new_url} (the page's canonical URL)"] * 2


def test_a_theme_that_names_the_home_page_as_every_articles_canonical_url_changes_nothing(
    live_site: StandinServer, db_path: Path
) -> None:
    """Every article's page says its address is the home page (a theme or SEO plugin gone
    wrong): each article stays filed under its own URL. Before, the home page was archived as
    one new "article" and every other page dropped as its duplicate, none of them checked."""
    first = crawl(live_site, db_path)
    for each in live_site.site.articles():
        url = live_site.article_url(each.slug)
        page = respond(live_site.site, live_site.url, f"/{each.slug}/", {})[3]
        live_site.fail(f"/{each.slug}/", 200, page.replace(f'rel="canonical" href="{url}"'.encode(), f'rel="canonical" href="{live_site.url}/"'.encode()))
    row = crawl(live_site, db_path)
    assert (row["new"], row["edited"], row["unchanged"], row["failed"]) == (0, 0, first["new"], 0)


@pytest.mark.parametrize("mode", ["full", "recheck"])
def test_a_site_that_moved_to_https_keeps_its_articles(tmp_path: Path, db_path: Path, mode: str) -> None:
    """The site moves to https: its old http addresses answer a 301 to the same path on
    https, and its pages, sitemaps and canonical URLs name https. The archive's articles
    follow it, each row taking its https URL: before, every article came back as new, and
    the http rows stayed live, never checked again."""
    site = StandinSite()
    with StandinServer(site) as before:
        first = crawl(before, db_path)
        port = int(before.url.rsplit(":", 1)[1])
    with StandinServer(site, port=port, tls=tls_for_127_0_0_1(tmp_path)) as after:
        assert after.url == f"https://127.0.0.1:{port}"
        site.edit_paragraph(SEED, 0, "Edited after the move, to show the history goes on.")
        row = crawl(after, db_path, mode=mode, NEWSDELTA_RECHECK_ALL=True)
        assert after.hits[("moved", 301)] == first["new"]  # each archived http address, once
        assert (row["new"], row["edited"], row["unchanged"], row["removed"], row["failed"]) == (0, 1, first["new"] - 1, 0, 0)
        assert json.loads(row["stats"])["newsdelta/moved"] == first["new"]  # 304s after a redirect too
        with open_archive(db_path) as archive:
            urls = [url for (url,) in archive.db.execute("select url from articles")]
        assert len(urls) == first["new"] and all(url.startswith(f"{after.url}/") for url in urls)
        history = newsdelta("history", after.article_url(SEED), "--db", str(db_path)).stdout.splitlines()
        assert [line.split()[0] for line in history] == ["v1", "v2"]
        assert history[0].endswith(f"(at http://127.0.0.1:{port}/{SEED}/)") and "(at " not in history[1]
        after.reset_hits()
        again = crawl(after, db_path, mode=mode, NEWSDELTA_RECHECK_ALL=True)
        assert (again["new"], again["edited"], again["unchanged"], after.hits[("moved", 301)]) == (0, 0, first["new"], 0)
        assert "newsdelta/moved" not in json.loads(again["stats"])


def test_a_page_that_cannot_be_read_after_a_redirect_is_a_failure_of_the_article_asked_for(
    live_site: StandinServer, db_path: Path
) -> None:
    """The old URL leads to the new one, whose page comes cut short: nothing is known of the
    new article, so the failure belongs to the archived one, which stays as it was."""
    crawl(live_site, db_path)
    new_slug = "india-deepens-defence-ties-with-japan-and-south-korea"
    live_site.site.move_article(SEED, new_slug)
    old_url, new_url = live_site.article_url(SEED), live_site.article_url(new_slug)
    page = respond(live_site.site, live_site.url, f"/{new_slug}/", {})[3]
    live_site.fail(f"/{new_slug}/", 200, page[: page.index(b"Later, Shri Rajnath Singh")])
    row = crawl(live_site, db_path, mode="recheck", NEWSDELTA_RECHECK_ALL=True)
    assert (row["failed"], row["removed"], row["new"], row["edited"]) == (1, 0, 0, 0)
    with open_archive(db_path) as archive:
        (failure,) = archive.db.query("select url, reason from fetch_failures where crawl_id = ?", [row["id"]])
    assert failure["url"] == old_url
    assert failure["reason"] == f"extraction failed: the page is incomplete: it ends before its </html> (cut short) (at {new_url})"
    assert article(db_path, old_url)["status"] == "live"


@pytest.mark.parametrize("theme", ["twentytwentyone", "block"])
def test_a_redesign_the_cleaner_reads_flags_no_edit(live_site: StandinServer, db_path: Path, theme: str) -> None:
    first = crawl(live_site, db_path)
    live_site.site.set_theme(theme)
    row = crawl(live_site, db_path)
    assert (row["edited"], row["suspect"], row["unchanged"]) == (0, 0, first["new"])


def test_a_redesign_that_changes_every_body_is_held_back_as_suspect(live_site: StandinServer, db_path: Path) -> None:
    first = crawl(live_site, db_path)
    live_site.site.set_theme("indbiz-redesign")
    result = newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path))
    count = first["new"]
    assert f"warning: {count} of {count} articles checked changed in the same fields (body)" in result.stderr
    assert f"accept: newsdelta accept {first['id'] + 1}" in result.stderr
    with open_archive(db_path) as archive:
        row = archive.crawl(first["id"] + 1)
    assert (row["edited"], row["suspect"]) == (0, first["new"])
    listed = json.loads(newsdelta("changes", "--db", str(db_path), "--format", "json").stdout)
    assert [r for r in listed if r["kind"] == "edited"] == []
    held = json.loads(newsdelta("changes", "--suspect", "--db", str(db_path), "--format", "json", "--limit", "1000").stdout)
    assert len(held) == first["new"] and {tuple(r["fields"]) for r in held} == {("body",)}
    accepted = newsdelta("accept", str(row["id"]), "--db", str(db_path))
    assert accepted.returncode == 0 and f"accepted {first['new']}" in accepted.stdout
    with open_archive(db_path) as archive:
        assert (archive.crawl(row["id"])["edited"], archive.crawl(row["id"])["suspect"]) == (first["new"], 0)
    unknown = newsdelta("accept", "999", "--db", str(db_path))
    assert (unknown.returncode, unknown.stderr.strip()) == (1, f"newsdelta: error: no crawl 999 in {db_path}")


def test_what_plugins_append_to_an_article_moving_with_every_reader_and_post_is_no_edit(
    live_site: StandinServer, db_path: Path
) -> None:
    """The twentytwentyone theme's pages carry what popular plugins append to the content:
    view, vote and share counters, a share bar, a related-posts list. Readers move the counters
    and a new post moves every list: the pages change, the articles do not."""
    live_site.site.set_theme("twentytwentyone")
    first = crawl(live_site, db_path)
    seed_page = respond(live_site.site, live_site.url, f"/{SEED}/", {})[3]
    live_site.site.count_views(37)
    newest = live_site.site.articles()[0]
    live_site.site.add_article(replace(newest, slug="a-new-post", title="A new post", published=newest.published))
    assert respond(live_site.site, live_site.url, f"/{SEED}/", {})[3] != seed_page  # counters and related posts moved
    live_site.reset_hits()
    row = crawl(live_site, db_path)
    assert live_site.hits[("article", 200)] == first["new"] + 1  # every page fetched whole, none a 304
    assert (row["new"], row["edited"], row["suspect"], row["unchanged"]) == (1, 0, 0, first["new"])
    with open_archive(db_path) as archive:
        body = json.loads(archive.db["articles"].get(1)["body"])
    assert not [line for line in body if re.search(r"Post Views|votes|Related posts|Spread the word|^Share", line)]


def test_a_few_real_edits_in_one_crawl_are_not_suspect(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    for target in live_site.site.articles()[:4]:
        live_site.site.edit_paragraph(target.slug, 0, f"Updated: {target.title} has new figures.")
    row = crawl(live_site, db_path)
    assert (row["edited"], row["suspect"]) == (4, 0)


def test_a_site_answering_410_to_everything_removes_nothing_it_is_held_back(live_site: StandinServer, db_path: Path) -> None:
    """A firewall or a plugin that answers 410 to every page, a site taken down for a while:
    one crawl that would remove most of what it checked is held back as suspect, as a mass
    edit is. The articles stay live, and the site's return flags nothing."""
    first = crawl(live_site, db_path)
    live_site.fail("*", 410, b"<html><body><h1>Gone</h1></body></html>")
    result = newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path))
    count = first["new"]
    assert f"warning: {count} of {count} articles checked would be removed" in result.stderr
    with open_archive(db_path) as archive:
        storm = archive.crawl(first["id"] + 1)
        assert {row["status"] for row in archive.db.query("select status from articles")} == {"live"}
    assert (storm["removed"], storm["suspect"]) == (0, count)
    assert re.search(rf"^  suspect +{count}  \(held back", result.stdout, re.M)
    assert result.returncode == 1  # not one page could be read: the crawl failed, and says so
    held = json.loads(newsdelta("changes", "--suspect", "--db", str(db_path), "--format", "json", "--limit", "1000").stdout)
    assert len(held) == count and {(r["version"], r["reason"]) for r in held} == {(None, "HTTP 410")}
    assert newsdelta("changes", "--kind", "removed", "--db", str(db_path)).stdout == "no changes\n"
    failed = newsdelta("failures", "--crawl", str(storm["id"]), "--db", str(db_path)).stdout
    assert live_site.url in failed and "/india-" not in failed  # the sitemap and listing, no article
    history = newsdelta("history", live_site.article_url(SEED), "--db", str(db_path)).stdout.splitlines()
    assert history[-1].endswith("suspect   removal held back: HTTP 410")
    live_site.heal()
    back = crawl(live_site, db_path)
    assert (back["restored"], back["removed"], back["edited"], back["unchanged"]) == (0, 0, 0, count)
    accepted = newsdelta("accept", str(storm["id"]), "--db", str(db_path))  # too late: the site is back
    assert accepted.stdout == f"accepted 0 edit(s) and 0 removal(s) of crawl {storm['id']}\n"
    assert article(db_path, live_site.article_url(SEED))["status"] == "live"


def test_a_permalink_change_across_the_site_moves_every_article_by_its_post_id(live_site: StandinServer, db_path: Path) -> None:
    """Every article answers a 301 to a new address, whose page has the post ID archived: every
    row moves there with its history, and nothing is flagged."""
    first = crawl(live_site, db_path)
    count = first["new"]
    ids = {a.slug: article(db_path, live_site.article_url(a.slug))["id"] for a in live_site.site.articles()}
    for moved in live_site.site.articles():
        live_site.site.move_article(moved.slug, f"{moved.slug}-2")
    result = newsdelta("crawl", "--base-url", live_site.url, "--db", str(db_path), "--set", "NEWSDELTA_PROGRESS_INTERVAL=0")
    assert result.returncode == 0, result.stderr
    assert f"  {'moved':<9}  {count:>6}  (archived articles at a new address: their rows and history followed)\n" in result.stdout
    assert result.stderr == ""  # each old address led to an article already fetched: expected, no warning
    with open_archive(db_path) as archive:
        row = archive.crawl(first["id"] + 1)
    assert (row["new"], row["removed"], row["suspect"], row["edited"], row["unchanged"], row["failed"]) == (0, 0, 0, 0, count, 0)
    with open_archive(db_path) as archive:
        now = {url: article_id for article_id, url in archive.db.execute("select id, url from articles")}
    assert now == {live_site.article_url(f"{slug}-2"): article_id for slug, article_id in ids.items()}


def test_a_permalink_change_across_a_site_without_post_ids_holds_back_the_old_addresses_removals(
    live_site: StandinServer, db_path: Path
) -> None:
    """Every article answers a 301 to a new address, and no page names its post ID: new
    articles at the new addresses, and the old ones' removals held back until someone
    accepts them."""
    live_site.site.hide_post_ids()
    first = crawl(live_site, db_path)
    count = first["new"]
    old = [live_site.article_url(a.slug) for a in live_site.site.articles()]
    for moved in live_site.site.articles():
        live_site.site.move_article(moved.slug, f"{moved.slug}-2")
    row = crawl(live_site, db_path)
    assert (row["new"], row["removed"], row["suspect"], row["failed"]) == (count, 0, count, 0)
    assert {article(db_path, url)["status"] for url in old} == {"live"}
    accepted = newsdelta("accept", str(row["id"]), "--db", str(db_path))
    assert accepted.stdout == f"accepted 0 edit(s) and {count} removal(s) of crawl {row['id']}\n"
    assert {article(db_path, url)["status"] for url in old} == {"removed"}
    with open_archive(db_path) as archive:
        assert (archive.crawl(row["id"])["removed"], archive.crawl(row["id"])["suspect"]) == (count, 0)
    removed = json.loads(newsdelta("changes", "--kind", "removed", "--db", str(db_path), "--format", "json", "--limit", "1000").stdout)
    assert sorted(r["url"] for r in removed) == sorted(old)
    assert {r["reason"] for r in removed} == {f"moved to {url[:-1]}-2/" for url in old}
    shown = newsdelta("show", old[0], "--db", str(db_path))
    assert f"removed this article ({article(db_path, old[0])['last_changed']}: moved to {old[0][:-1]}-2/)" in shown.stderr
    again = newsdelta("accept", str(row["id"]), "--db", str(db_path))
    assert again.stdout == f"accepted 0 edit(s) and 0 removal(s) of crawl {row['id']}\n"


def test_a_few_real_removals_in_one_crawl_are_not_suspect(live_site: StandinServer, db_path: Path) -> None:
    first = crawl(live_site, db_path)
    for target in live_site.site.articles()[:5]:
        live_site.site.remove_article(target.slug, status=410)
    row = crawl(live_site, db_path)
    assert (row["removed"], row["suspect"], row["unchanged"]) == (5, 0, first["new"] - 5)


def test_an_edit_undone_is_shown_as_the_version_it_returns_to(live_site: StandinServer, db_path: Path) -> None:
    """Editors undo edits, headline tests and caches that disagree serve two versions by
    turns: the version that repeats an earlier one says which (`same_as`), so a reader sees
    the article went back, not that it changed again."""
    crawl(live_site, db_path)
    url, title = live_site.article_url(SEED), live_site.site.article(SEED).title
    for headline in ("India and Japan sign a defence pact", title, "India and Japan sign a defence pact"):
        live_site.site.retitle(SEED, headline)
        crawl(live_site, db_path)
    listed = json.loads(newsdelta("changes", "--kind", "edited", "--db", str(db_path), "--format", "json").stdout)
    assert [(row["version"], row["same_as"]) for row in listed] == [(4, 2), (3, 1), (2, None)]
    table = newsdelta("changes", "--kind", "edited", "--db", str(db_path)).stdout
    assert "edited   v3 (= v1) [title] +" in table
    history = newsdelta("history", url, "--db", str(db_path)).stdout.splitlines()
    assert history[2].endswith(f"edited    [title]  (= v1)  {title}")
    assert history[1].endswith("edited    [title]  India and Japan sign a defence pact")


def test_a_cosmetic_edit_is_classed_so(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    target = live_site.site.article(SEED)
    assert target is not None
    live_site.site.edit_paragraph(SEED, 2, target.body[2].replace("Shri Rajnath Singh visited", "Shri Rajnath Singh, visited").upper())
    row = crawl(live_site, db_path)
    with open_archive(db_path) as archive:
        change = next(archive.db.query("select * from changes where crawl_id = ?", [row["id"]]))
    assert (change["kind"], change["significance"]) == ("edited", "cosmetic")


def test_a_reclean_is_not_an_edit(live_site: StandinServer, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = crawl(live_site, db_path)
    with Archive.open(db_path) as archive:  # as an archive of schema 3 has them: no post ids
        archive.db.execute("update articles set post_id = null")
    monkeypatch.setattr("scraper.reclean.BATCH", 10)
    told: list[int] = []
    unchanged = reclean(str(db_path), progress=told.append)
    assert (unchanged["recleaned"], unchanged["unchanged"]) == (0, first["new"])
    assert told == list(range(10, first["new"] + 1, 10))  # long work shows progress
    assert article(db_path, live_site.article_url(SEED))["post_id"] == str(live_site.site.article(SEED).post_id)
    with open_archive(db_path) as archive:  # every page of the stand-in names its post
        assert archive.db.execute("select count(*) from articles where post_id is null").fetchone()[0] == 0
    # A new cleaner, stricter about inserts: paragraphs opening with "India" now count as one.
    monkeypatch.setattr(blocks, "INSERT", re.compile(r"^(also read|india)\b", re.I))
    row = reclean(str(db_path))
    assert row["recleaned"] > 0 and row["edited"] == 0
    with open_archive(db_path) as archive:
        kinds_seen = {r["kind"] for r in archive.db.query("select kind from changes where crawl_id = ?", [row["id"]])}
        origins = {r["origin"] for r in archive.db.query("select origin from versions where crawl_id = ?", [row["id"]])}
    assert (kinds_seen, origins) == ({"recleaned"}, {"reclean"})
    listed = json.loads(newsdelta("changes", "--db", str(db_path), "--kind", "edited", "--format", "json").stdout)
    assert listed == []


def test_a_summary_only_the_listing_shows_is_kept_when_a_recheck_or_a_reclean_reads_the_page_alone(db_path: Path) -> None:
    """Many WordPress pages show no summary; the listing that links to the article shows an
    excerpt, and the crawl takes it (DESIGN.md). A recheck, a sitemap's link or a re-clean
    reads the page alone: the summary's loss would be recorded as the site's edit."""
    articles = load_bundled()
    bare = replace(articles[0], summary="")  # no excerpt of its own: the listing shows its body's first words
    site = StandinSite([bare, *articles[1:]])
    with StandinServer(site) as server:
        url = server.article_url(bare.slug)
        server.fail("/wp-sitemap.xml", 404)  # the listings alone find the articles, each with its excerpt
        crawl(server, db_path)
        assert article(db_path, url)["summary"] == bare.excerpt != ""
        site.edit_paragraph(bare.slug, 1, "A second paragraph, rewritten.")
        row = crawl(server, db_path, mode="recheck", NEWSDELTA_RECHECK_ALL=True)
        assert kinds(db_path, row["id"]) == [("edited", url, ["body"])]
        assert article(db_path, url)["summary"] == bare.excerpt
        own = articles[1]  # a page that drops its own summary: that is an edit
        site.resummarise(own.slug, "")
        row = crawl(server, db_path, mode="recheck", NEWSDELTA_RECHECK_ALL=True)
        assert kinds(db_path, row["id"]) == [("edited", server.article_url(own.slug), ["summary"])]
    assert reclean(str(db_path))["recleaned"] == 0


def test_a_reclean_refuses_a_site_it_does_not_hold_and_a_running_crawl_writing_nothing(standin: StandinServer, db_path: Path) -> None:
    """`reclean --site` with a typo wrote a run of 0 re-cleaned articles. A re-clean beside a
    crawl ran unlocked, and the crawl, holding the lock, took it for a dead run."""
    crawl(standin, db_path)
    before = db_path.read_bytes()
    typo = newsdelta("reclean", "--site", "indbix", "--db", str(db_path))
    assert typo.returncode == 1
    assert typo.stderr.strip() == f"newsdelta: error: {db_path} holds no article of site 'indbix' (it holds: indbiz)"
    with CrawlLock(db_path):
        locked = newsdelta("reclean", "--db", str(db_path))
    assert locked.returncode == EXIT_LOCKED
    assert locked.stderr.startswith("newsdelta: another crawl is running on this archive")
    assert db_path.read_bytes() == before
    done = newsdelta("reclean", "--site", "indbiz", "--db", str(db_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"re-cleaned crawl 2: 0 recleaned, {len(standin.site.articles())} unchanged, 0 failed"


def test_an_article_is_found_by_its_url_as_a_browser_shows_it(standin: StandinServer, db_path: Path) -> None:
    """Copied from an address bar, a URL may lack the trailing slash or carry a #fragment: it
    was "no article" before."""
    crawl(standin, db_path)
    url = standin.article_url(SEED)
    shown = newsdelta("show", url, "--db", str(db_path))
    assert shown.returncode == 0 and shown.stdout.startswith("India strengthens defence ties")
    for typed in (url.rstrip("/"), f"{url}#comments", f"{url.rstrip('/')}#respond"):
        assert newsdelta("show", typed, "--db", str(db_path)).stdout == shown.stdout
    history = newsdelta("history", url.rstrip("/"), "--db", str(db_path))
    assert history.returncode == 0 and history.stdout.startswith("v1  ")
    alone = newsdelta("diff", url, "--db", str(db_path))
    assert alone.returncode == 0 and alone.stdout.strip() == f"{url}: version 1 has no earlier version to compare with"
    missing = newsdelta("show", f"{url}other/", "--db", str(db_path))
    assert (missing.returncode, missing.stderr.strip()) == (1, f"newsdelta: error: no article {url}other/ in {db_path}")


def test_a_crawl_that_never_ran_is_an_error_not_an_empty_list(standin: StandinServer, db_path: Path) -> None:
    crawl(standin, db_path)
    for command in (("changes", "--crawl", "9"), ("failures", "--crawl", "9"), ("accept", "9")):
        result = newsdelta(*command, "--db", str(db_path))
        assert (result.returncode, result.stderr.strip(), result.stdout) == (1, f"newsdelta: error: no crawl 9 in {db_path}", "")
    listed = newsdelta("changes", "--crawl", "1", "--db", str(db_path), "--limit", "1000")
    assert listed.returncode == 0 and listed.stdout.count("  new ") == len(standin.site.articles())


def test_diff_prints_plain_when_piped_and_json_for_machines(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    live_site.site.edit_paragraph(SEED, 0, "In efforts to bolster India’s bilateral cooperation, the minister travelled to Tokyo.")
    crawl(live_site, db_path)
    url = live_site.article_url(SEED)
    plain = newsdelta("diff", url, "--db", str(db_path)).stdout
    assert "\x1b[" not in plain
    assert "{+minister travelled+}" in plain and "[-Republic of Korea (ROK) over September 2-6-]" in plain
    data = json.loads(newsdelta("diff", url, "--db", str(db_path), "--format", "json").stdout)
    assert (data["from"], data["to"], data["fields"]) == (1, 2, ["body"])
    assert ["insert", "minister travelled"] in data["diff"]["body"] and ["equal", "to"] in data["diff"]["body"]
    csv_out = newsdelta("changes", "--db", str(db_path), "--kind", "edited", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("detected_at,kind,fields") and url in csv_out[1]
