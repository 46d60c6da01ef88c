"""The site spider: discovers a site's articles and fetches them.

Modes:
- ``full``: every article, from the sitemaps and the paginated listings;
- ``latest``: the feed and the first listing pages, stopping at a page of only known articles.

Duplicates between sitemap, listings and feed are dropped by Scrapy's duplicate filter (same
URL) and by the validate pipeline (same canonical URL).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

from scraper.spiders.base import ArticleSpider
from scraper.text import normalise_text

MODES = ("full", "latest")


class SiteSpider(ArticleSpider):
    name = "site"

    def __init__(self, *args: Any, mode: str = "full", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (one of: {', '.join(MODES)})")
        self.mode = mode
        self.allowed_domains = [urlsplit(self.base_url).hostname or ""]

    async def start(self) -> AsyncIterator[Any]:
        if self.mode == "full":
            for path in self.profile.sitemaps:
                yield scrapy.Request(self.url(path), callback=self.parse_sitemap)
        else:
            yield scrapy.Request(self.url(self.profile.feed), callback=self.parse_feed)
        for path in self.profile.listings:
            yield scrapy.Request(self.url(path), callback=self.parse_listing, cb_kwargs={"page": 1})

    def url(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        sitemap = Sitemap(response.body)
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                if self.follows_sitemap(entry["loc"]):
                    yield scrapy.Request(entry["loc"], callback=self.parse_sitemap)
        elif sitemap.type == "urlset":
            for entry in sitemap:
                if self.accepts(entry["loc"]):
                    yield self.article_request(entry["loc"])

    def follows_sitemap(self, url: str) -> bool:
        follow = self.profile.sitemap_follow
        return not follow or any(re.search(pattern, url) for pattern in follow)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        for item in response.xpath("//item"):
            link = item.xpath("link/text()").get("").strip()
            if self.accepts(link):
                yield self.article_request(link, normalise_text(item.xpath("description/text()").get("")))

    def parse_listing(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        listing = self.profile.listing
        links = [response.urljoin(href) for href in response.css(listing.entry_link).getall()]
        summaries = [normalise_text(" ".join(node.css("::text").getall())) for node in response.css(listing.entry_summary)]
        if len(summaries) != len(links):
            summaries = [""] * len(links)
        articles = [(link, summary) for link, summary in zip(links, summaries) if self.accepts(link)]
        for link, summary in articles:
            yield self.article_request(link, summary)
        next_page = response.css(listing.next_page).get()
        if next_page and self.wants_next_listing(page, [link for link, _ in articles]):
            yield response.follow(next_page, callback=self.parse_listing, cb_kwargs={"page": page + 1})

    def wants_next_listing(self, page: int, links: list[str]) -> bool:
        if self.mode == "full":
            return True
        return page < self.profile.latest_pages and not all(link in self.known_urls for link in links)

    def accepts(self, url: str) -> bool:
        """Article URLs of this site only: never a listing, tag page or another host."""
        return urlsplit(url).netloc == urlsplit(self.base_url).netloc and self.profile.is_article_url(url)


class IndbizSpider(SiteSpider):
    """IndBiz (indbiz.gov.in): `scrapy crawl indbiz -a base_url=… -a mode=full|latest`."""

    name = "indbiz"
