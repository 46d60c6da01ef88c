"""`read_listing(html, url, selectors) -> Listing`: a listing page's article links (pure).

A full crawl reads one listing page per ten articles, each as large as an article page. Read
with parsel (`response.css`), one took ~2.9 ms of the crawl's own thread: decoding the page to
text, parsel encoding it back for lxml, an XPath compiled for every `.css()`. Here the page's
bytes are parsed as `clean()` parses them and the selectors run compiled (bench/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

from scraper.clean.errors import ExtractionError
from scraper.clean.parse import parse_page
from scraper.clean.select import select, text_of, xpath
from scraper.sites import ListingSelectors
from scraper.text import normalise_text


@dataclass(frozen=True)
class Listing:
    """What a listing page links to, as absolute URLs in the page's order."""

    #: The articles it lists.
    links: tuple[str, ...] = ()
    #: Each article's teaser, matched to `links`; all "" when the page's teasers do not pair up.
    summaries: tuple[str, ...] = ()
    #: The next listing page, if it links one.
    next_page: str | None = None


def read_listing(html: bytes, url: str, selectors: ListingSelectors, *, content_type: str | None = None) -> Listing:
    """The links of a listing page; an empty page lists nothing."""
    try:
        page = parse_page(html, content_type, url)
    except ExtractionError:
        return Listing()
    base = _base_url(page, url)
    links = tuple(urljoin(base, href.strip()) for href in map(text_of, select(page, selectors.entry_link)))
    teasers = select(page, selectors.entry_summary) if selectors.entry_summary else []
    summaries = tuple(normalise_text(" ".join(map(text_of, select(node, "::text")))) for node in teasers)
    next_page = select(page, selectors.next_page) if selectors.next_page else []
    return Listing(
        links=links,
        summaries=summaries if len(summaries) == len(links) else ("",) * len(links),
        next_page=urljoin(base, text_of(next_page[0]).strip()) if next_page else None,
    )


def _base_url(page: etree._Element, url: str) -> str:
    """What relative links resolve against: the page's `<base href>`, if any, else its URL."""
    found = xpath(page, "(//base[@href])[1]/@href")
    return urljoin(url, text_of(found[0]).strip()) if found else url
