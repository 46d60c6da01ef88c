"""Every page a crawl of the stand-in asks for, rendered once with the stand-in's own templates.

Mirrors `scraper.standin.server._Server.route` for the URL space a site crawl walks (robots.txt,
sitemaps, feed, the paginated home listing, the articles): same bodies, same content types,
same validators. Category listings and date archives are left out: no newsdelta crawl follows
them. `tests/test_bench.py` checks the pages against the stand-in's own server.

A ~100 KB stand-in page is ~83 KB of inline stylesheet that every page shares; that block is
kept once and referenced from every page, so 20,000 articles fit in ~0.5 GB instead of ~2 GB.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import format_datetime

from bench.server import Page, build_page
from scraper.standin.server import HTML, ROBOTS_TXT, XML
from scraper.standin.site import StandinSite

#: The inline stylesheet every stand-in page carries: served from one shared object.
SHARED_START, SHARED_END = b"<style id='global-styles-inline-css'>", b"</style>"


class _Pieces:
    """Splits pages around their shared block, keeping one copy of each distinct block."""

    def __init__(self) -> None:
        self._blocks: dict[bytes, bytes] = {}

    def __call__(self, body: bytes) -> tuple[bytes, ...]:
        start = body.find(SHARED_START)
        end = body.find(SHARED_END, start)
        if start < 0 or end < 0:
            return (body,)
        block = body[start:end]
        return body[:start], self._blocks.setdefault(block, block), body[end:]


def prerender(site: StandinSite, base: str) -> dict[str, Page]:
    """Path → ready response, for every page a full crawl, a recheck or the bare spider fetches."""
    return dict(_pages(site, base, _Pieces()))


def _pages(site: StandinSite, base: str, pieces: _Pieces) -> Iterator[tuple[str, Page]]:
    def text(kind: str, content_type: str, body: str) -> Page:
        return build_page(200, kind, content_type, pieces(body.encode("utf-8")))

    robots = ROBOTS_TXT.format(base=base, sitemap="/wp-sitemap.xml")
    yield "/robots.txt", text("robots", "text/plain; charset=UTF-8", robots)
    yield "/feed/", text("feed", "application/rss+xml; charset=UTF-8", site.render_feed(base))
    yield "/wp-sitemap.xml", text("sitemap", XML, site.render_sitemap_index(base))
    yield "/wp-sitemap-posts-page-1.xml", text("sitemap", XML, site.render_page_sitemap(base))
    yield (
        "/wp-sitemap-taxonomies-category-1.xml",
        text("sitemap", XML, site.render_category_sitemap(base)),
    )
    yield "/about-indbiz/", text("page", HTML, site.render_about(base))
    for number in range(1, site.sitemap_pages() + 1):
        sitemap = site.render_post_sitemap(base, number)
        if sitemap is not None:
            yield f"/wp-sitemap-posts-post-{number}.xml", text("sitemap", XML, sitemap)
    for number in range(1, site.page_count() + 1):
        listing = site.render_listing(base, number)
        if listing is not None:
            yield ("/" if number == 1 else f"/page/{number}/"), text("listing", HTML, listing)
    for article in site.articles():
        validators = {
            "ETag": site.etag(article),
            "Last-Modified": format_datetime(article.last_modified, usegmt=False),
            "Cache-Control": "max-age=0",
        }
        body = site.render_article(article, base).encode(article.encoding, "xmlcharrefreplace")
        content_type = f"text/html; charset={article.encoding.upper()}"
        page = build_page(
            200, "article", content_type, pieces(body), validators, article.last_modified
        )
        yield f"/{article.slug}/", page
