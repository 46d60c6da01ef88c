"""What the spiders hand to the pipelines: a cleaned article, or a failure to get one."""

from __future__ import annotations

from dataclasses import dataclass, field

from scraper.document import Document
from storage.pages import PageDictionary

#: Scrapy stat: pages the site answered with (sitemaps, feeds, listings, articles, 304s): a
#: crawl that read none failed, whatever it recorded (`ArchivePipeline`).
PAGES_READ = "newsdelta/pages_read"


@dataclass
class ArticleItem:
    """A fetched and cleaned article page, with the raw page for re-cleaning later."""

    document: Document
    #: The profile that cleaned it (the site it is archived under).
    site: str
    #: The raw page, compressed as the archive stores it (`storage.pages.compress`).
    page: bytes
    encoding: str
    #: The URL the page came from, after any redirect.
    fetched_url: str
    #: The URL asked for: `fetched_url`, or the first of the redirects that led there.
    requested_url: str
    etag: str = ""
    last_modified: str = ""
    fetched_at: str = ""
    #: What `page` was compressed against (None: nothing).
    page_dictionary: PageDictionary | None = None


@dataclass
class FetchFailure:
    """An article URL that did not yield an article this time: never an edit, never a removal."""

    url: str
    reason: str
    status: int | None = None
    failed_at: str = field(default="")
    #: The URL said the article is gone (404, 410, redirected to a page that is no article).
    gone: bool = False


@dataclass
class NotModified:
    """A conditional request answered 304: the article was checked and has not changed."""

    #: The archived article's URL, the one asked for with its validators.
    url: str
    checked_at: str = ""
    #: Where the 304 came from, when a redirect led elsewhere ("" when it did not).
    answered_at: str = ""
