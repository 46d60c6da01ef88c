"""The site spider: discovers a site's articles and fetches them.

Modes:
- ``full``: every article, from the paginated listings, then the sitemaps; then the archive's
  live articles the site no longer lists, so a taken-down article is noticed;
- ``latest``: the feed and the first listing pages, stopping at a page of only known articles;
- ``recheck``: the archive's articles that are due, with conditional requests (a 304 costs no
  parse), and those whose sitemap `lastmod` is newer than their last check.

Duplicates between sitemap, listings and feed are dropped by Scrapy's duplicate filter (same
URL) and by the validate pipeline (same canonical URL).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import scrapy
from lxml.etree import XMLSyntaxError
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.selector import Selector
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure
from w3lib.html import remove_tags, replace_entities

from scraper.clean.listing import read_listing
from scraper.items import FetchFailure
from scraper.sites import SiteProfile
from scraper.spiders.base import (
    GONE_STATUSES,
    ArticleSpider,
    response_content_type,
    without_tracking,
)
from scraper.text import normalise_text
from storage.archive import Due

MODES = ("full", "latest", "recheck")
#: Sitemaps, feeds and listing pages go ahead of article pages. Listing pages are a chain (each
#: names the next), so at the articles' priority every link waited its turn behind the article
#: pages queued meanwhile: a crawl of 2,000 articles from a sitemap was done with them 0.7 s
#: before the last of its 200 listing pages (bench/README.md).
DISCOVERY_PRIORITY = 10


class SiteSpider(ArticleSpider):
    name = "site"
    #: A site crawl always has its site's profile (`--site auto` is for given URLs only).
    profile: SiteProfile
    #: NEWSDELTA_MAX_LISTING_PAGES: where pagination stops, whatever the listing pages say.
    max_listing_pages: int

    def __init__(self, *args: Any, mode: str = "full", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.profile is None:
            raise ValueError("a site crawl needs a site profile (`--site auto` is for given URLs)")
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (one of: {', '.join(MODES)})")
        self.mode = mode
        self.allowed_domains = [urlsplit(self.base_url).hostname or ""]
        #: Articles due for a recheck (recheck mode); filled by the archive pipeline.
        self.due: list[Due] = []
        #: Article URLs seen on listing pages so far: a page that adds none ends the pagination.
        self.listed: set[str] = set()
        self._sitemaps_sent = False
        self._orphans_sent = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        spider.max_listing_pages = crawler.settings.getint("NEWSDELTA_MAX_LISTING_PAGES")
        return spider

    async def start(self) -> AsyncIterator[Any]:
        if self.mode == "recheck":
            for article in self.due:
                yield self.article_request(article.url, etag=article.etag, last_modified=article.last_modified)
            for request in self.sitemap_requests():
                yield request
            return
        if self.mode == "latest":
            yield self.discovery_request(self.url(self.profile.feed), self.parse_feed, may_be_absent=True)
        for path in self.profile.listings:
            yield self.discovery_request(self.url(path), self.parse_listing, page=1)

    def spider_idle(self) -> None:
        """A full crawl goes on once its listings are walked: the sitemaps, for the articles no
        listing page lists; then the known live articles that neither reached.

        The sitemaps come last. Read first, they named every article at once, and the crawl
        fetched them from there (without the listing's summary) while the chain of listing
        pages, each naming the next, fell behind: a CPU-bound crawl advanced it one link per
        burst of downloads, sixteen articles on a loopback site, where a link lists ten. The
        crawl ended on a tail of listing pages whose articles were all fetched: ~2 s of 33
        at 20,000 articles (bench/README.md). Walked first, they are read while pages are cleaned.
        """
        if self.mode != "full" or self._orphans_sent:
            return
        if not self._sitemaps_sent:
            self._sitemaps_sent = True
            for request in self.sitemap_requests():
                self.crawler.engine.crawl(request)
            raise DontCloseSpider
        self._orphans_sent = True
        orphans = sorted(self.known.live - self.requested)
        if orphans:
            self.logger.info("rechecking %d archived articles the site no longer lists", len(orphans))
            for url in orphans:
                self.crawler.engine.crawl(self.article_request(url))
            raise DontCloseSpider

    def sitemap_requests(self) -> Iterator[scrapy.Request]:
        """The profile's sitemaps, each one the site may not have."""
        for path in self.profile.sitemaps:
            yield self.discovery_request(self.url(path), self.parse_sitemap, may_be_absent=True)

    def url(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def discovery_request(
        self, url: str, callback: Callable[..., Any], *, may_be_absent: bool = False, **cb_kwargs: Any
    ) -> scrapy.Request:
        """A sitemap, feed or listing page: where the crawl finds the site's articles.

        `may_be_absent`: the profile's own guess of a sitemap or feed (WordPress' core and
        Yoast's sitemaps, say); a 404 or 410 there says the site has none, and is no failure.
        """
        meta = {"may_be_absent": True} if may_be_absent else {}
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_discovery_error,
            cb_kwargs=cb_kwargs,
            meta=meta,
            priority=DISCOVERY_PRIORITY,
        )

    def on_discovery_error(self, failure: Failure) -> Iterator[FetchFailure]:
        """A discovery page that failed is recorded as a failure of the crawl (never a sign
        that an article is gone), so a site that cannot be reached does not pass for done."""
        request = failure.request  # type: ignore[attr-defined]
        absent = failure.check(HttpError) and failure.value.response.status in GONE_STATUSES
        if absent and request.meta.get("may_be_absent"):
            status = failure.value.response.status
            self.logger.info("nothing at %s (HTTP %d): the site has no such sitemap or feed", request.url, status)
            return
        for item in self.on_error(failure):
            item.gone = False
            yield item

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request | FetchFailure]:
        self.page_read()
        max_size = response.meta.get("download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        try:
            sitemap = read_sitemap(sitemap_xml(response, max_size))
        except ValueError:  # Scrapy's gunzip, past max_size
            reason = f"sitemap larger than DOWNLOAD_MAXSIZE ({max_size:,} bytes) once unpacked"
            yield self.failure(response.url, reason, response.status)
            return
        if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
            what = f"a page of type {sitemap.type!r}" if sitemap else "no XML"
            if response.meta.get("may_be_absent"):
                self.logger.info("no sitemap at %s (%s)", response.url, what)
            else:
                yield self.failure(response.url, f"not a sitemap ({what})", response.status)
        elif sitemap.type == "sitemapindex":
            for entry in sitemap:
                if self.follows_sitemap(entry["loc"]):
                    yield self.discovery_request(entry["loc"], self.parse_sitemap)
        elif sitemap.type == "urlset":
            for entry in sitemap:
                loc = entry["loc"]
                if self.accepts(loc) and self.is_new_article(loc) and self.wants_from_sitemap(loc, entry.get("lastmod", "")):
                    yield self.article_request(loc)

    def wants_from_sitemap(self, url: str, lastmod: str) -> bool:
        """Everything in a full crawl; in a recheck, what changed since it was last checked."""
        if self.mode == "full":
            return True
        checked = self.known.last_checked.get(url)
        return checked is not None and _after(lastmod, checked)

    def follows_sitemap(self, url: str) -> bool:
        follow = self.profile.sitemap_follow
        return not follow or any(re.search(pattern, url) for pattern in follow)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        self.page_read()
        entries = read_feed(feed_selector(response))
        if entries is None:  # a soft 404, a page of the site: the profile's feed is not there
            self.logger.info("no feed at %s (neither RSS nor Atom)", response.url)
            return
        for link, summary in entries:
            if self.accepts(link) and self.is_new_article(link):
                yield self.article_request(link, summary)

    def parse_listing(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        self.page_read()
        listing = read_listing(response.body, response.url, self.profile.listing, content_type=response_content_type(response))
        articles = [
            (without_tracking(link), summary)
            for link, summary in zip(listing.links, listing.summaries, strict=True)
            if self.accepts(link)
        ]
        unseen = [link for link, _ in articles if link not in self.listed]
        self.listed.update(unseen)
        for link, summary in articles:
            if self.is_new_article(link):
                yield self.article_request(link, summary)
        if listing.next_page and self.wants_next_listing(page, [link for link, _ in articles], unseen):
            yield self.discovery_request(listing.next_page, self.parse_listing, page=page + 1)

    def wants_next_listing(self, page: int, links: list[str], unseen: list[str]) -> bool:
        """Follow pagination while it lists articles no listing page listed before.

        A page of only seen articles ends it: that is where `latest` stops, and what an endless
        `/page/N/` trap serves forever.
        """
        if not unseen or page >= self.max_listing_pages:
            if unseen:
                self.logger.warning("stopped at listing page %d (NEWSDELTA_MAX_LISTING_PAGES)", page)
            return False
        if self.mode == "full":
            return True
        return page < self.profile.latest_pages and not all(link in self.known.urls for link in links)

    def accepts(self, url: str) -> bool:
        """Article URLs of this site only: never a listing, tag page or another host."""
        return urlsplit(url).netloc == urlsplit(self.base_url).netloc and self.profile.is_article_url(url)


def sitemap_xml(response: Response, max_size: int) -> bytes:
    """The sitemap's XML: a `.xml.gz` file (gzip bytes with no Content-Encoding, which Scrapy
    would have undone) unpacked as Scrapy's SitemapSpider unpacks it, up to `max_size` bytes
    (0: no limit; past it, ValueError); a broken one as no XML."""
    if not gzip_magic_number(response):
        return response.body
    try:
        return gunzip(response.body, max_size=max_size)
    except (OSError, EOFError):
        return b""


def read_sitemap(body: bytes) -> Sitemap | None:
    """The sitemap in `body`; None when there is no XML in it at all (an empty page, bytes
    that are no markup), where Scrapy's `Sitemap` raises."""
    try:
        return Sitemap(body)
    except (XMLSyntaxError, StopIteration):
        return None


def feed_selector(response: Response) -> Selector:
    """The feed read as XML whatever its Content-Type, and not kept on the response.

    Hosts and caching plugins serve WordPress' `/feed/` as text/html, where an HTML parser
    drops the text of RSS's `<link>` (a void element in HTML): the feed would list nothing.
    The selector is not `response.selector`, which the response keeps and which refers back
    to it, so a page's body and lxml tree would wait for the garbage collector (with the
    crawl's thresholds, scraper/gctuning.py, thousands of pages later: bench/README.md).
    """
    if isinstance(response, TextResponse):
        return Selector(response, type="xml")
    return Selector(body=response.body, type="xml")


ATOM = {"atom": "http://www.w3.org/2005/Atom"}


def read_feed(feed: Selector) -> list[tuple[str, str]] | None:
    """Each RSS item's or Atom entry's link and summary, the summary as plain text (WordPress
    puts markup and entities such as `&#8230;` inside its CDATA); None when the page is neither
    RSS nor Atom."""
    if feed.xpath("/rss"):
        return [
            (item.xpath("link/text()").get("").strip(), _plain(item.xpath("description/text()").get("")))
            for item in feed.xpath("//item")
        ]
    if feed.xpath("/atom:feed", namespaces=ATOM):
        return [
            (
                entry.xpath("atom:link[not(@rel) or @rel = 'alternate']/@href", namespaces=ATOM).get("").strip(),
                _plain(entry.xpath("atom:summary/text()", namespaces=ATOM).get("")),
            )
            for entry in feed.xpath("//atom:entry", namespaces=ATOM)
        ]
    return None


def _plain(markup: str) -> str:
    return normalise_text(replace_entities(remove_tags(markup)))


def _after(lastmod: str, checked: str) -> bool:
    """Is the sitemap's `lastmod` later than the last check? Unparseable dates say no.

    Both are whole seconds: an edit in the same second as the check may have followed it, so
    an equal time counts as later (the cost is one fetch, never a missed edit).
    """
    try:
        modified, seen = datetime.fromisoformat(lastmod.replace("Z", "+00:00")), datetime.fromisoformat(checked)
    except ValueError:
        return False
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=UTC)
    return modified >= seen


class IndbizSpider(SiteSpider):
    """IndBiz (indbiz.gov.in): `scrapy crawl indbiz -a base_url=… -a mode=full|latest`."""

    name = "indbiz"
