"""`read_listing` finds on a listing page what the spider read with parsel before it.

The spider used `response.css()` on listing pages; `scraper.clean.listing` exists for speed,
so it is compared here with that code on the stand-in's listing pages, on the
stored listing fixture, and on hand-written edge cases.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from scraper.clean.listing import Listing, read_listing
from scraper.sites import ListingSelectors, get_site
from scraper.standin import StandinSite
from scraper.standin.site import category_slug
from scraper.text import normalise_text

BASE = "https://indbiz.gov.in"
SELECTORS = get_site("indbiz").listing
FIXTURE = Path(__file__).parent / "fixtures" / "indbiz" / "not-article-listing.html"


def with_parsel(html: bytes, url: str, selectors: ListingSelectors, content_type: str) -> Listing:
    """What the spider's listing callback read before `read_listing`, with Scrapy's selectors."""
    response = HtmlResponse(url, body=html, headers={"Content-Type": content_type})
    links = tuple(response.urljoin(href.strip()) for href in response.css(selectors.entry_link).getall())
    summaries = tuple(normalise_text(" ".join(node.css("::text").getall())) for node in response.css(selectors.entry_summary))
    next_page = response.css(selectors.next_page).get()
    return Listing(
        links=links,
        summaries=summaries if len(summaries) == len(links) else ("",) * len(links),
        next_page=response.urljoin(next_page.strip()) if next_page else None,
    )


def standin_listings() -> list[tuple[str, bytes]]:
    """The stand-in's listing pages: first, second and last, a category's, with tracking links."""
    site, tracked = StandinSite(), StandinSite()
    tracked.tracking_links = True
    category = category_slug(site.categories()[0])
    pages = {
        "page-1": site.render_listing(BASE, 1),
        "page-2": site.render_listing(BASE, 2),
        "last-page": site.render_listing(BASE, site.page_count()),
        "category": site.render_listing(BASE, 1, category),
        "tracking-links": tracked.render_listing(BASE, 1),
    }
    return [(name, html.encode()) for name, html in pages.items() if html is not None]


@pytest.mark.parametrize("name, html", [*standin_listings(), ("fixture", FIXTURE.read_bytes())], ids=lambda value: value if isinstance(value, str) else "")
def test_listing_pages_read_as_parsel_read_them(name: str, html: bytes) -> None:
    url = f"{BASE}/page/2/"
    found = read_listing(html, url, SELECTORS, content_type="text/html; charset=UTF-8")
    assert found == with_parsel(html, url, SELECTORS, "text/html; charset=UTF-8")
    assert found.links, name  # every page here lists articles
    assert found.next_page or name == "last-page"


def test_the_stand_in_listing_is_read_in_full() -> None:
    site = StandinSite()
    found = read_listing(site.render_listing(BASE, 1).encode(), f"{BASE}/", SELECTORS)
    first_page = site.articles()[: len(found.links)]
    assert [link.rsplit("/", 2)[-2] for link in found.links] == [article.slug for article in first_page]
    assert found.summaries == tuple(normalise_text(article.summary) for article in first_page)
    assert found.next_page == f"{BASE}/page/2/"


CARD = '<article class="post type-post"><h2 class="entry-title"><a href="{href}">{title}</a></h2><div class="entry-summary"><p>{teaser}</p></div></article>'
EDGE_CASES = {
    "relative links and a base": "<html><head><base href='https://indbiz.gov.in/news/'></head><body>"
    + CARD.format(href="one/", title="One", teaser="First <b>bold</b> teaser")
    + CARD.format(href=" /two/ ", title="Two", teaser="Second\n teaser")
    + "<a class='next page-numbers' href='page/3/'>Next</a></body></html>",
    "teasers that do not pair up": "<html><body>"
    + CARD.format(href="/one/", title="One", teaser="a")
    + '<article class="post type-post"><h2 class="entry-title"><a href="/two/">Two</a></h2></article></body></html>',
    "no next page": "<html><body>" + CARD.format(href="/one/", title="One", teaser="Only") + "</body></html>",
    "windows-1252": "<html><head><meta charset='windows-1252'></head><body>"
    + CARD.format(href="/caf\u00e9/", title="Caf\u00e9", teaser="Caf\u00e9 \u2013 cr\u00e8me")
    + "</body></html>",
    "nothing listed": "<html><body><p>No posts found.</p></body></html>",
}


@pytest.mark.parametrize("name", EDGE_CASES)
def test_edge_cases_read_as_parsel_read_them(name: str) -> None:
    encoding = "windows-1252" if name == "windows-1252" else "utf-8"
    html = EDGE_CASES[name].encode(encoding)
    found = read_listing(html, f"{BASE}/page/2/", SELECTORS, content_type="text/html")
    assert found == with_parsel(html, f"{BASE}/page/2/", SELECTORS, "text/html")


def test_the_edge_cases_cover_what_they_name() -> None:
    def read(name: str) -> Listing:
        encoding = "windows-1252" if name == "windows-1252" else "utf-8"
        return read_listing(EDGE_CASES[name].encode(encoding), f"{BASE}/page/2/", SELECTORS)

    based = read("relative links and a base")
    assert based.links == (f"{BASE}/news/one/", f"{BASE}/two/")
    assert based.summaries == ("First bold teaser", "Second teaser")
    assert based.next_page == f"{BASE}/news/page/3/"
    assert read("teasers that do not pair up").summaries == ("", "")
    assert read("no next page").next_page is None
    assert read("windows-1252").summaries == ("Caf\u00e9 \u2013 cr\u00e8me",)
    assert read("nothing listed") == Listing()


@pytest.mark.parametrize("html", [b"", b"   \n", b"\x00\x00"])
def test_an_empty_page_lists_nothing(html: bytes) -> None:
    assert read_listing(html, f"{BASE}/", SELECTORS) == Listing()
