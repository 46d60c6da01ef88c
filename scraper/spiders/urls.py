"""The URL spider: exactly the URLs given, each cleaned as an article of the given site."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from scraper.sites import web_address
from scraper.spiders.base import ArticleSpider


class UrlsSpider(ArticleSpider):
    """`scrapy crawl urls -a urls="URL URL…"` (or a list, from Python)."""

    name = "urls"
    mode = "urls"

    def __init__(self, *args: Any, urls: str | Iterable[str] = (), **kwargs: Any) -> None:
        self.urls = [web_address(url) for url in (urls.split() if isinstance(urls, str) else urls)]
        if not self.urls:
            raise ValueError("no URLs given")
        kwargs.setdefault("base_url", self.urls[0])
        super().__init__(*args, **kwargs)

    async def start(self) -> AsyncIterator[Any]:
        for url in self.urls:
            if self.is_new_article(url):
                yield self.article_request(url)
