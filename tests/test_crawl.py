"""Crawls of the stand-in over real HTTP into a real archive file, read back with SQL."""

from __future__ import annotations

import gc
import json
import logging
import re
import weakref
from datetime import datetime
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.misc import build_from_crawler, is_generator_with_return_value, load_object
from scrapy.utils.test import get_crawler

from scraper import settings as project_settings
from scraper.document import Document
from scraper.gctuning import GcTuning
from scraper.items import ArticleItem, NotModified
from scraper.pipelines import ValidatePipeline
from scraper.spiders.indbiz import DISCOVERY_PRIORITY, IndbizSpider, feed_selector, read_feed
from scraper.standin import StandinArticle, StandinServer, StandinSite
from scraper.standin.server import respond
from scraper.standin.site import IST
from storage import pages
from storage.archive import Archive
from tests.support import crawl, open_archive

SEED = "india-strengthens-defence-ties-with-japan-south-korea"


def archived(db: Path) -> dict[str, dict]:
    with open_archive(db) as archive:
        return {row["url"]: row for row in archive.db.query("select * from articles")}


def changes_of(db: Path, crawl_id: int) -> list[dict]:
    with open_archive(db) as archive:
        return list(archive.db.query(
            "select changes.*, articles.url from changes join articles on articles.id = article_id where crawl_id = ?",
            [crawl_id],
        ))


def count(db: Path, table: str) -> int:
    with open_archive(db) as archive:
        return archive.db[table].count


def test_full_crawl_archives_every_article_exactly_once(standin: StandinServer, db_path: Path) -> None:
    row = crawl(standin, db_path)
    expected = {standin.article_url(a.slug) for a in standin.site.articles()}
    assert len(expected) >= 64
    assert set(archived(db_path)) == expected  # the About page and listings are not articles
    assert (row["status"], row["new"], row["edited"], row["unchanged"], row["failed"]) == ("ok", len(expected), 0, 0, 0)
    assert count(db_path, "versions") == len(expected)
    assert {c["kind"] for c in changes_of(db_path, row["id"])} == {"new"}
    stats = json.loads(row["stats"])
    assert stats["newsdelta/new"] == len(expected)
    # The writer's CPU and the pages' compression where they were cleaned: the bench's archive figure.
    assert stats["newsdelta/archive_cpu_s"] > 0 and stats["newsdelta/page_compress_cpu_s"] > 0
    with open_archive(db_path) as archive:  # stored as fetched
        stored = {page.url: page.html for page in archive.stored_pages()}
    for article in standin.site.articles():
        status, _, _, body, _ = respond(standin.site, standin.url, f"/{article.slug}/", {})
        assert status == 200 and stored[standin.article_url(article.slug)] == body


@pytest.mark.parametrize("clean_worker", [True, False], ids=["worker", "in-process"])
def test_pages_are_stored_against_one_article_page_of_the_site(live_site: StandinServer, db_path: Path, clean_worker: bool) -> None:
    """The first article page a crawl cleans becomes the site's dictionary; the pages cleaned
    after it store only what differs from it, and later crawls use the same one."""
    crawl(live_site, db_path, NEWSDELTA_CLEAN_WORKER=clean_worker)
    live_site.site.edit_paragraph(SEED, 0, "A paragraph the editors rewrote.")
    second = crawl(live_site, db_path, NEWSDELTA_CLEAN_WORKER=clean_worker)
    assert second["edited"] == 1
    served = {}
    for article in live_site.site.articles():
        status, _, _, body, _ = respond(live_site.site, live_site.url, f"/{article.slug}/", {})
        assert status == 200
        served[live_site.article_url(article.slug)] = body
    with open_archive(db_path) as archive:
        ((dictionary_id, base_url, content),) = archive.db.execute("select id, base_url, content from page_dictionaries")
        versions = archive.db.execute(
            """select articles.url, versions.crawl_id, versions.page_dictionary, versions.raw_html
               from versions join articles on articles.id = versions.article_id"""
        ).fetchall()
        stored = {page.url: page.html for page in archive.stored_pages()}
    assert base_url == live_site.url and content in served.values()  # an article page as served
    with_it = [(url, raw) for url, _, name, raw in versions if name == dictionary_id]
    assert {url for url, crawl_id, name, _ in versions if crawl_id == second["id"] and name == dictionary_id} == {
        live_site.article_url(SEED)
    }
    # Pages already on their way to be cleaned when the first came back go without it: one
    # here on a quiet machine, more on a loaded one, never most of a crawl.
    assert {name for *_, name, _ in versions} <= {dictionary_id, None}
    assert len(with_it) * 2 > len(versions), [name for *_, name, _ in versions]
    for url, raw in with_it:
        assert len(raw) * 4 < len(pages.compress(served[url])), url
    assert stored == served


def test_a_crawl_after_the_sites_dictionary_is_a_month_old_makes_a_new_one(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    with Archive.open(db_path) as archive:  # a month on
        archive.db.execute("update page_dictionaries set created = '2026-01-01T00:00:00+00:00'")
        (old,) = archive.db.execute("select id from page_dictionaries").fetchone()
    # Spread over the crawl: the pages on their way before the first is cleaned go without.
    edited = [article.slug for article in live_site.site.articles()[::4]]
    for slug in edited:
        live_site.site.edit_paragraph(slug, 0, "A paragraph the editors rewrote.")
    second = crawl(live_site, db_path)
    assert second["edited"] == len(edited)
    with open_archive(db_path) as archive:
        dictionaries = {row[0] for row in archive.db.execute("select id from page_dictionaries")}
        used = {row[0] for row in archive.db.execute("select page_dictionary from versions where crawl_id = ?", [second["id"]])}
        stored = {page.url: page.html for page in archive.stored_pages()}
        fresh = archive.page_dictionary(live_site.url)
    # Made from the first page the crawl cleaned (pages on their way before it go without it),
    # for another month; the old one stays, as pages need it. Made from the same page as the
    # old one, it is the old one, a month younger.
    assert fresh is not None and used - {None} == {fresh.id}
    assert dictionaries == {old, fresh.id}
    for slug in edited:
        status, _, _, body, _ = respond(live_site.site, live_site.url, f"/{slug}/", {})
        assert status == 200 and stored[live_site.article_url(slug)] == body


def test_archived_content_is_the_sites_own_words(standin: StandinServer, db_path: Path) -> None:
    crawl(standin, db_path)
    rows = archived(db_path)
    for article in standin.site.articles():
        row = rows[standin.article_url(article.slug)]
        assert row["title"] == article.title
        assert row["summary"] == article.summary
        assert row["published"] == article.published.date().isoformat()
        assert json.loads(row["highlights"]) == article.highlights
        assert json.loads(row["body"]) == article.paragraphs, article.slug
        assert json.loads(row["categories"]) == article.categories


def test_a_second_crawl_of_an_unchanged_site_adds_nothing(standin: StandinServer, db_path: Path) -> None:
    first = crawl(standin, db_path)
    second = crawl(standin, db_path)
    assert (second["new"], second["edited"], second["unchanged"]) == (0, 0, first["new"])
    assert count(db_path, "versions") == first["new"]
    assert changes_of(db_path, second["id"]) == []


def test_edit_retitle_and_new_article_are_each_flagged(live_site: StandinServer, db_path: Path) -> None:
    site = live_site.site
    first = crawl(live_site, db_path)
    edited, retitled = site.articles()[10], site.articles()[20]
    rewritten = "Editors rewrote this passage later, quoting revised tallies."
    # Every word new, so the diff is exactly one deletion and one insertion of whole paragraphs.
    assert not set(rewritten.lower().split()) & set(edited.body[1].lower().split())
    site.edit_paragraph(edited.slug, 1, rewritten)
    site.retitle(retitled.slug, retitled.title + " (updated)")
    site.add_article(StandinArticle(
        slug="india-signs-new-trade-pact", title="India signs a new trade pact", summary="A new pact was signed.",
        published=datetime(2024, 4, 27, 9, 0, tzinfo=IST), categories=["Trade"], highlights=["Tariffs fall"],
        body=["The pact cuts tariffs on 90% of goods.", "It takes effect next year."],
    ))
    second = crawl(live_site, db_path)
    flagged = {c["url"]: c for c in changes_of(db_path, second["id"])}
    assert set(flagged) == {live_site.article_url(s) for s in (edited.slug, retitled.slug, "india-signs-new-trade-pact")}
    body_change = flagged[live_site.article_url(edited.slug)]
    assert (body_change["kind"], json.loads(body_change["fields"])) == ("edited", ["body"])
    assert body_change["words_added"] == len(rewritten.split())
    assert body_change["words_removed"] == len(edited.body[1].split())
    diff = json.loads(body_change["diff"])["body"]
    assert ["insert", rewritten] in diff
    title_change = flagged[live_site.article_url(retitled.slug)]
    assert (title_change["kind"], json.loads(title_change["fields"])) == ("edited", ["title"])
    assert ["insert", "(updated)"] in json.loads(title_change["diff"])["title"]
    assert flagged[live_site.article_url("india-signs-new-trade-pact")]["kind"] == "new"
    # The new article changed every page's "Recent Articles": that is chrome, never a version.
    assert (second["new"], second["edited"], second["unchanged"]) == (1, 2, first["new"] - 2)
    assert count(db_path, "versions") == first["new"] + 3
    rows = archived(db_path)
    assert rows[live_site.article_url(edited.slug)]["version_count"] == 2
    assert rows[live_site.article_url(retitled.slug)]["title"] == retitled.title + " (updated)"


def test_a_page_that_failed_to_load_or_clean_flags_nothing(live_site: StandinServer, db_path: Path) -> None:
    first = crawl(live_site, db_path)
    down, empty = live_site.site.articles()[3], live_site.site.articles()[4]
    live_site.fail(f"/{down.slug}/", 503)
    live_site.fail(f"/{empty.slug}/", 200, b"")
    second = crawl(live_site, db_path)
    assert (second["failed"], second["new"], second["edited"], second["removed"]) == (2, 0, 0, 0)
    assert second["unchanged"] == first["new"] - 2
    assert changes_of(db_path, second["id"]) == []
    with open_archive(db_path) as archive:
        failures = {r["url"]: r for r in archive.db.query("select * from fetch_failures where crawl_id = ?", [second["id"]])}
    assert failures[live_site.article_url(down.slug)]["status"] == 503
    assert "extraction failed" in failures[live_site.article_url(empty.slug)]["reason"]
    rows = archived(db_path)
    assert {rows[live_site.article_url(a.slug)]["status"] for a in (down, empty)} == {"live"}
    assert count(db_path, "versions") == first["new"]


def test_latest_mode_reads_the_feed_and_stops_at_known_articles(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    live_site.site.add_article(StandinArticle(
        slug="rupee-firms-against-dollar", title="Rupee firms against the dollar", summary="The rupee rose.",
        published=datetime(2024, 4, 28, 9, 0, tzinfo=IST), categories=["Economy"], highlights=["Rupee up"],
        body=["The rupee rose 12 paise on strong inflows."],
    ))
    live_site.reset_hits()
    row = crawl(live_site, db_path, mode="latest")
    assert (row["mode"], row["new"], row["edited"]) == ("latest", 1, 0)
    assert live_site.hits[("listing", 200)] == 2  # page 1 had a new article; page 2 only known ones
    assert live_site.hits[("feed", 200)] == 1
    assert live_site.hits[("sitemap", 200)] == 0
    assert live_site.article_url("rupee-firms-against-dollar") in archived(db_path)


@pytest.mark.parametrize("content_type", ["text/html; charset=UTF-8", "text/plain"])
def test_a_feed_served_under_the_wrong_content_type_is_still_read_as_xml(
    live_site: StandinServer, db_path: Path, content_type: str
) -> None:
    """Hosts and caching plugins serve WordPress' /feed/ as text/html: an HTML parser drops
    the text of RSS's <link> elements (void in HTML), so the feed's articles went unseen."""
    crawl(live_site, db_path)
    live_site.site.add_article(StandinArticle(
        slug="rupee-firms-against-dollar", title="Rupee firms against the dollar", summary="The rupee rose.",
        published=datetime(2024, 4, 28, 9, 0, tzinfo=IST), categories=["Economy"], highlights=["Rupee up"],
        body=["The rupee rose 12 paise on strong inflows."],
    ))
    _, _, _, feed, _ = respond(live_site.site, live_site.url, "/feed/", {})
    live_site.fail("/feed/", status=200, body=feed, content_type=content_type)
    live_site.fail("/", status=503)  # the home page's listing is down: only the feed lists the new article
    row = crawl(live_site, db_path, mode="latest")
    assert (row["new"], row["edited"]) == (1, 0)
    assert live_site.article_url("rupee-firms-against-dollar") in archived(db_path)



ATOM_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>IndBiz</title>
  <link rel="self" href="{base}/feed/atom/"/>
  <entry>
    <title>Rupee firms against the dollar</title>
    <link rel="alternate" type="text/html" href="{base}/rupee-firms-against-dollar/"/>
    <link rel="replies" type="application/atom+xml" href="{base}/rupee-firms-against-dollar/feed/atom/"/>
    <summary type="html"><![CDATA[<p>The rupee rose 12 paise &#8230;</p>]]></summary>
  </entry>
</feed>"""


def test_an_atom_feed_is_read_as_an_rss_feed_is(live_site: StandinServer, db_path: Path) -> None:
    """A profile may name an Atom feed (WordPress serves one at /feed/atom/, many sites only
    that): its entries' links were not read at all."""
    crawl(live_site, db_path)
    live_site.site.add_article(StandinArticle(
        slug="rupee-firms-against-dollar", title="Rupee firms against the dollar", summary="The rupee rose.",
        published=datetime(2024, 4, 28, 9, 0, tzinfo=IST), categories=["Economy"], highlights=["Rupee up"],
        body=["The rupee rose 12 paise on strong inflows."],
    ))
    atom = ATOM_FEED.format(base=live_site.url).encode()
    live_site.fail("/feed/", status=200, body=atom, content_type="application/atom+xml; charset=UTF-8")
    live_site.fail("/", status=503)  # the home page's listing is down: only the feed lists the new article
    row = crawl(live_site, db_path, mode="latest")
    assert (row["new"], row["failed"]) == (1, 1)
    assert live_site.article_url("rupee-firms-against-dollar") in archived(db_path)


def test_a_feed_url_that_answers_a_page_is_no_feed_and_no_failure(live_site: StandinServer, db_path: Path) -> None:
    crawl(live_site, db_path)
    live_site.fail("/feed/", status=200, body=b"<html><body><h1>Page not found</h1></body></html>")
    row = crawl(live_site, db_path, mode="latest")
    assert (row["status"], row["new"], row["failed"]) == ("ok", 0, 0)
    assert live_site.hits[("fault", 200)] == 1  # the feed was asked for, and answered


def test_feed_entries_are_read_with_their_summaries_as_plain_text() -> None:
    base = "https://indbiz.gov.in"
    rss = re.sub(  # the first item's description as WordPress writes one: markup and entities in CDATA
        rb"(<item>.*?<description>)[^<]*(</description>)",
        rb"\1<![CDATA[<p>Tariffs fall &#8220;sharply&#8221; &#8230;</p>]]>\2",
        respond(StandinSite(), base, "/feed/", {})[3],
        count=1,
        flags=re.DOTALL,
    )
    entries = read_feed(feed_selector(HtmlResponse(f"{base}/feed/", body=rss)))
    assert entries is not None and len(entries) == 10
    assert entries[0][0].startswith(f"{base}/") and entries[0][1].startswith("Tariffs fall “sharply” …")
    atom = read_feed(feed_selector(HtmlResponse(f"{base}/feed/", body=ATOM_FEED.format(base=base).encode())))
    assert atom == [(f"{base}/rupee-firms-against-dollar/", "The rupee rose 12 paise …")]
    page = b"<html><body><h1>Page not found</h1></body></html>"
    assert read_feed(feed_selector(HtmlResponse(f"{base}/feed/", body=page))) is None


def test_gc_tuning_holds_while_a_crawl_runs_and_is_undone_after() -> None:
    """scraper/gctuning.py's extension, which the project's settings turn on."""
    project = Settings()
    project.setmodule("scraper.settings")
    assert "scraper.gctuning.GcTuning" in project.getdict("EXTENSIONS")
    assert project.getint("NEWSDELTA_GC_THRESHOLD") > 700
    extension = GcTuning.from_crawler(get_crawler(settings_dict={"NEWSDELTA_GC_THRESHOLD": 12_345}))
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    extension.engine_started()
    try:
        assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.get_freeze_count() > frozen
    finally:
        extension.spider_closed()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_gc_threshold_0_leaves_the_collector_alone() -> None:
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(get_crawler(settings_dict={"NEWSDELTA_GC_THRESHOLD": 0}))



def test_a_parsed_listing_page_is_freed_without_the_garbage_collector() -> None:
    """The listing callback reads the page's bytes (`scraper.clean.listing`) and keeps nothing on
    the response, so no reference cycle keeps the response and its lxml tree alive until a
    collection (scraper/gctuning.py)."""
    base = "https://indbiz.gov.in"  # rendered and parsed here, never fetched
    spider = IndbizSpider.from_crawler(get_crawler(settings_dict={"NEWSDELTA_MAX_LISTING_PAGES": 10}), base_url=base)
    response = HtmlResponse(f"{base}/", body=StandinSite().render_listing(base, 1).encode(), encoding="utf-8")
    freed = weakref.ref(response)
    gc.disable()
    try:
        requests = list(spider.parse_listing(response, page=1))
        del response
        assert freed() is None
    finally:
        gc.enable()
    assert any(request.callback == spider.parse_article for request in requests)


def test_listing_pages_go_ahead_of_the_article_pages_they_list() -> None:
    """Each listing page names the next: at the articles' priority, every link of that chain
    waited behind the article pages queued meanwhile, and the crawl ended on a tail of listing
    pages fetched one after another (bench/README.md)."""
    base = "https://indbiz.gov.in"  # rendered and parsed here, never fetched
    spider = IndbizSpider.from_crawler(get_crawler(settings_dict={"NEWSDELTA_MAX_LISTING_PAGES": 10}), base_url=base)
    response = HtmlResponse(f"{base}/", body=StandinSite().render_listing(base, 1).encode(), encoding="utf-8")
    requests = list(spider.parse_listing(response, page=1))
    articles = [request.priority for request in requests if request.callback == spider.parse_article]
    listings = [request.priority for request in requests if request.callback == spider.parse_listing]
    assert articles and listings == [DISCOVERY_PRIORITY]
    assert max(articles) < DISCOVERY_PRIORITY


def test_a_full_crawl_walks_the_listings_before_it_reads_the_sitemaps(live_site: StandinServer, db_path: Path) -> None:
    """Read first, the sitemaps named every article at once, and the chain of listing pages
    (each names the next) ended the crawl on a tail of pages listing articles fetched already
    (bench/README.md). The listings first: each article they list comes with its teaser, the
    sitemaps after them, and the crawl's articles are the same."""
    row = crawl(live_site, db_path)
    assert (row["status"], row["new"], row["failed"]) == ("ok", len(live_site.site.articles()), 0)
    paths = [path for _, path in live_site.arrivals]
    listings = [index for index, path in enumerate(paths) if path == "/" or path.startswith("/page/")]
    sitemaps = [index for index, path in enumerate(paths) if "sitemap" in path]
    assert len(listings) == live_site.site.page_count() and len(sitemaps) >= 2  # the index and its posts
    assert max(listings) < min(sitemaps)


def test_no_spider_callback_is_a_generator_that_returns_a_value() -> None:
    """Scrapy's WARN_ON_GENERATOR_RETURN_VALUE check, run here once instead of on every request
    (the project turns it off: scraper/settings.py)."""
    assert project_settings.WARN_ON_GENERATOR_RETURN_VALUE is False
    loader = SpiderLoader(Settings({"SPIDER_MODULES": project_settings.SPIDER_MODULES}))
    callbacks = [
        getattr(spider, name)
        for spider in map(loader.load, loader.list())
        for name in dir(spider)
        if name.startswith(("parse", "on_")) and callable(getattr(spider, name))
    ]
    assert {callback.__name__ for callback in callbacks} >= {
        "parse_article", "parse_listing", "parse_sitemap", "parse_feed", "on_error", "on_discovery_error"
    }
    assert [callback.__qualname__ for callback in callbacks if is_generator_with_return_value(callback)] == []


@pytest.mark.parametrize("level, logged", [("INFO", False), ("WARNING", False), ("DEBUG", True), ("debug", True), (10, True), (20, False)])
def test_pages_and_items_are_logged_only_where_debug_messages_show(level: str | int, logged: bool) -> None:
    """The project's LOG_FORMATTER, built as Scrapy builds it, skips "Crawled (200)" and
    "Scraped from" below DEBUG, and keeps every other message."""
    crawler = get_crawler(IndbizSpider, settings_dict={"LOG_LEVEL": level})
    formatter = build_from_crawler(load_object(project_settings.LOG_FORMATTER), crawler)
    spider = IndbizSpider.from_crawler(crawler, base_url="https://indbiz.gov.in")
    request = Request("https://indbiz.gov.in/a/")
    response = HtmlResponse("https://indbiz.gov.in/a/", body=b"<html></html>", request=request)
    scraped = formatter.scraped({"url": "https://indbiz.gov.in/a/"}, response, spider)
    crawled = formatter.crawled(request, response, spider)
    assert (scraped is not None, crawled is not None) == (logged, logged)
    if logged:
        assert scraped["level"] == crawled["level"] == logging.DEBUG
        assert scraped["args"]["src"] is response and crawled["args"]["request"] is request
    dropped = formatter.dropped({"url": "x"}, DropItem("a second copy"), response, spider)
    assert dropped is not None and dropped["level"] == logging.WARNING  # other messages as Scrapy's
    # One line: an article's item (its document and its compressed page) printed whole is no reading.
    assert dropped["msg"] % dropped["args"] == "Dropped: a second copy"


@pytest.mark.parametrize("page_first", [True, False])
def test_an_article_met_twice_in_a_crawl_goes_to_the_archive_once(page_first: bool) -> None:
    """Its own 304, and its page reached through another address's redirect: whichever comes
    first is the one kept, so the summary counts the article once."""
    url = "https://indbiz.gov.in/a/"
    page = ArticleItem(Document(url=url, title="A", body=("B",)), "indbiz", b"", "utf-8", fetched_url=url, requested_url="https://indbiz.gov.in/old/")
    items = [page, NotModified(url=url)] if page_first else [NotModified(url=url), page]
    pipeline = ValidatePipeline()
    assert pipeline.process_item(items[0]) is items[0]
    with pytest.raises(DropItem) as dropped:
        pipeline.process_item(items[1])
    assert dropped.value.log_level == "INFO"
    assert pipeline.process_item(NotModified(url="https://indbiz.gov.in/b/")) is not None  # another article
