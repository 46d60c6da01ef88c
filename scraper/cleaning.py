"""What cleaning a fetched page yields for the archive: its document, and the page compressed.

The cleaning worker (`scraper.worker`) and the crawl's own process, when it cleans by itself,
both call `clean_for_archive`. Compressing where the page is cleaned spares the crawl's
process pickling ~100 KB a page into the archive writer's batches: 1-12 KB instead
(bench/README.md). The CPU it takes is reported apart (Scrapy's `newsdelta/page_compress_cpu_s`),
so the archive's figures still count it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from scraper.clean import clean
from scraper.document import Document
from scraper.sites import SiteProfile
from storage import pages
from storage.pages import PageDictionary


@dataclass(frozen=True)
class Cleaned:
    """A fetched page, cleaned for the archive."""

    document: Document
    #: The raw page as the archive stores it (`storage.pages.compress`).
    page: bytes
    #: Thread CPU the compression took.
    compress_cpu_s: float
    #: The id of the dictionary `page` was compressed against (None: none).
    page_dictionary: str | None = None


def clean_for_archive(
    html: bytes, url: str, profile: SiteProfile | None, *,
    content_type: str | None, summary_hint: str, dictionary: PageDictionary | None = None,
) -> Cleaned:
    """`scraper.clean.clean(...)` (raising what it raises), and the page compressed (against
    `dictionary`, if given)."""
    document = clean(html, url, profile, content_type=content_type, summary_hint=summary_hint)
    started = time.thread_time()
    page = pages.compress(html, dictionary)
    return Cleaned(document, page, time.thread_time() - started, dictionary.id if dictionary else None)
