"""The ceiling: a bare Scrapy spider that fetches what a newsdelta crawl fetches and does nothing.

`full`: the paginated home listing, then the sitemaps once it is walked, requesting every
article URL once, as the site spider's full mode does; article responses are dropped unread.
`conditional`: every article with the `If-None-Match` / `If-Modified-Since` of its last
fetch, plus the sitemaps, as a recheck does. Same concurrency as newsdelta gives a loopback site (16) and the same
CONCURRENT_ITEMS (Scrapy's default of 100 spawns 100 asyncio tasks per response: it made this
"ceiling" slower than newsdelta's recheck), robots.txt obeyed, no pipelines, no extensions of ours.

Run in a child process of its own: `python -m bench.bare CONFIG_JSON STATS_JSON`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

from scraper import settings as newsdelta_settings
from scraper.sites import get_site

SETTINGS: dict[str, Any] = {
    "ROBOTSTXT_OBEY": True,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "CONCURRENT_ITEMS": newsdelta_settings.CONCURRENT_ITEMS,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
}


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(
        self, base_url: str, mode: str = "full", validators: list[list[str]] | None = None
    ) -> None:
        super().__init__()
        listing = get_site("indbiz").listing  # the same links the site spider follows
        self.base_url = base_url.rstrip("/")
        self.mode = mode
        self.validators = validators or []
        self.entry_link, self.next_page = listing.entry_link, listing.next_page
        self.requested: set[str] = set()
        self.listed: set[str] = set()
        self.sitemaps_sent = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url, etag, last_modified in self.validators:
            headers = {"If-None-Match": etag, "If-Modified-Since": last_modified}
            yield self.article(url, {name: value for name, value in headers.items() if value})
        if self.mode == "full":
            yield scrapy.Request(f"{self.base_url}/", callback=self.parse_listing)
        else:
            yield self.sitemap()

    def spider_idle(self) -> None:
        """A full walk reads the sitemaps once the listing is walked, as newsdelta's does."""
        if self.mode == "full" and not self.sitemaps_sent:
            self.sitemaps_sent = True
            self.crawler.engine.crawl(self.sitemap())
            raise DontCloseSpider

    def sitemap(self) -> scrapy.Request:
        return scrapy.Request(f"{self.base_url}/wp-sitemap.xml", callback=self.parse_sitemap)

    def article(self, url: str, headers: dict[str, str] | None = None) -> scrapy.Request:
        self.requested.add(url)
        meta = {"handle_httpstatus_list": [304]} if headers else {}
        return scrapy.Request(
            url, callback=self.parse_article, headers=headers, meta=meta, dont_filter=True
        )

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            if sitemap.type == "sitemapindex" and "-posts-post-" in entry["loc"]:
                yield scrapy.Request(entry["loc"], callback=self.parse_sitemap)
            elif (
                sitemap.type == "urlset"
                and self.mode == "full"
                and entry["loc"] not in self.requested
            ):
                yield self.article(entry["loc"])

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        links = [response.urljoin(href) for href in response.css(self.entry_link).getall()]
        unseen = [link for link in links if link not in self.listed]  # pagination ends at none
        self.listed.update(unseen)
        for link in links:
            if link not in self.requested:
                yield self.article(link)
        if unseen and (next_page := response.css(self.next_page).get()):
            yield response.follow(next_page, callback=self.parse_listing)

    def parse_article(self, response: Response) -> None:
        """Nothing: the ceiling is what fetching alone costs."""


def main(argv: list[str]) -> None:
    from scrapy.crawler import CrawlerProcess

    config = json.loads(argv[0])
    validators = (
        json.loads(Path(config["validators"]).read_text()) if config.get("validators") else None
    )
    process = CrawlerProcess(SETTINGS)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, base_url=config["base_url"], mode=config["mode"], validators=validators)
    process.start()
    Path(argv[1]).write_text(json.dumps(crawler.stats.get_stats(), default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
