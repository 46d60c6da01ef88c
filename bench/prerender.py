"""Every page a crawl of the stand-in asks for, rendered once with the stand-in's own templates.

Each page is the stand-in server's own response (`scraper.standin.server.respond`) for the URL
space a site crawl walks (robots.txt, sitemaps, feed, the paginated home listing, the
articles): same bodies, same content types, same validators. Category listings and date
archives are left out: no newsdelta crawl follows them. `tests/test_bench.py` checks the pages against the stand-in's own server.

A ~100 KB stand-in page is ~83 KB of inline stylesheet that every page shares; that block is
kept once and referenced from every page, so 20,000 articles fit in ~0.5 GB instead of ~2 GB.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import parsedate_to_datetime

from bench.server import Page, build_page
from scraper.standin.server import SITEMAP_PATHS, respond
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
    for path in _crawled_paths(site):
        status, kind, content_type, body, validators = respond(site, base, path, {})
        modified = validators.get("Last-Modified")
        last_modified = parsedate_to_datetime(modified) if modified else None
        yield path, build_page(status, kind, content_type, pieces(body), validators, last_modified)


def _crawled_paths(site: StandinSite) -> Iterator[str]:
    """robots.txt, the feed, the sitemaps, the About page, the home listing's pages, the articles."""
    yield "/robots.txt"
    yield "/feed/"
    yield SITEMAP_PATHS[site.sitemap_style][0]  # the index
    yield from site.sitemap_paths()
    yield "/about-indbiz/"
    yield from ("/" if n == 1 else f"/page/{n}/" for n in range(1, site.page_count() + 1))
    yield from (f"/{article.slug}/" for article in site.articles())
