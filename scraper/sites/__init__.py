"""Site profiles: what a crawl of one site needs to know, as data.

A profile names where articles are listed (sitemaps, feed, listing pages), which URLs are
articles, and the CSS selectors of each document field. Cleaning tries the profile's selectors
first, then the page's metadata and WordPress' conventions (see `scraper.clean`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Selectors:
    """CSS selectors of one theme; an empty selector means "no such element in this theme"."""

    #: The element that marks a page as a single article (absent on listings and static pages).
    article: str = ""
    title: str = ""
    summary: str = ""
    #: `::attr(datetime)` of a `<time>`, or an element whose text is a date.
    published: str = ""
    modified: str = ""
    highlights: str = ""
    body: str = ""
    categories: str = ""
    tags: str = ""
    author: str = ""
    #: One entry of the sidebar's "Recent Articles"; the four below are relative to it.
    recent: str = ""
    recent_title: str = ""
    recent_date: str = ""
    recent_teaser: str = ""
    #: Elements inside the body that are not the article's words (ads, share bars, inserts).
    prune: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListingSelectors:
    """Where a listing page links to its articles and to its next page."""

    entry_link: str
    entry_summary: str = ""
    next_page: str = ""


@dataclass(frozen=True)
class SiteProfile:
    name: str
    base_url: str
    #: Matched against a URL's path: only these are fetched as articles.
    article_path: re.Pattern[str]
    selectors: Selectors
    listing: ListingSelectors
    sitemaps: tuple[str, ...] = ("/wp-sitemap.xml",)
    #: Sub-sitemaps to follow from a sitemap index (posts, not pages or taxonomies).
    sitemap_follow: tuple[str, ...] = ()
    feed: str = "/feed/"
    listings: tuple[str, ...] = ("/",)
    #: How many listing pages `latest` mode reads at most.
    latest_pages: int = 3
    #: `strptime` format of dates printed as text (when no machine-readable date is given).
    date_formats: tuple[str, ...] = ("%B %d, %Y",)
    extra: dict[str, str] = field(default_factory=dict)

    def is_article_url(self, url: str) -> bool:
        return bool(self.article_path.match(urlsplit(url).path))


class UnknownSite(LookupError):
    pass


def get_site(name: str) -> SiteProfile:
    from scraper.sites.indbiz import INDBIZ

    sites = {INDBIZ.name: INDBIZ}
    try:
        return sites[name]
    except KeyError:
        raise UnknownSite(f"unknown site {name!r} (known: {', '.join(sorted(sites))})") from None
