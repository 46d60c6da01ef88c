"""What every newsdelta spider does with an article page: clean it, or say why it could not."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, Self, TypeGuard
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.reactor import is_asyncio_reactor_installed
from twisted.python.failure import Failure
from w3lib.url import url_query_cleaner

from scraper.clean import ExtractionError, NotAnArticle
from scraper.cleaning import Cleaned, clean_for_archive
from scraper.document import Document
from scraper.items import PAGES_READ, ArticleItem, FetchFailure, NotModified
from scraper.sites import SiteProfile, get_site, site_for_page, web_address
from scraper.worker import CleanWorker, WorkerGone
from storage.archive import Known
from storage.pages import DICTIONARY_MAX_BYTES, PageDictionary

#: Statuses that say the article is gone rather than that the fetch failed.
GONE_STATUSES = (404, 410)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ArticleSpider(scrapy.Spider):
    """Base of the site and URL spiders. `mode` and `site_name` are recorded with the crawl."""

    mode = "urls"

    def __init__(self, *args: Any, site: str = "indbiz", base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: None with `site="auto"`: each page picks its profile (`site_for_page`).
        self.profile: SiteProfile | None = None if site == "auto" else get_site(site)
        self.site_name = site
        self.base_url = (base_url or (self.profile.base_url if self.profile else "")).rstrip("/")
        if not self.base_url:
            raise ValueError(f"site profile {site!r} has no address of its own: give --base-url")
        web_address(self.base_url)
        #: What the archive holds of this site; filled by the archive pipeline when it opens.
        self.known = Known()
        #: Article URLs requested so far (for finding known articles the site no longer lists).
        self.requested: set[str] = set()
        #: Cleans pages in a process of its own (NEWSDELTA_CLEAN_WORKER); None: in this one.
        self.clean_worker: CleanWorker | None = None
        #: What article pages are compressed against (`storage.pages`): the site's, set by the
        #: archive pipeline when it opens, else made from the first article page cleaned.
        self.page_dictionary: PageDictionary | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if is_loopback(spider.base_url):
            # Our own stand-in on this machine: no one to be polite to, and tests want speed.
            crawler.settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
            crawler.settings.set("DOWNLOAD_DELAY", 0, priority="spider")
            crawler.settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 16, priority="spider")
        if crawler.settings.getbool("NEWSDELTA_CLEAN_WORKER"):
            spider.start_clean_worker()
            crawler.signals.connect(spider.keep_clean_worker, signal=signals.spider_opened)
            crawler.signals.connect(spider.stop_clean_worker, signal=signals.spider_closed)
        return spider

    def start_clean_worker(self) -> None:
        """Clean pages in a worker process, started as soon as the spider is made.

        Its start-up (~0.25 s of imports) then runs on another core while Scrapy builds the
        engine, its middlewares and pipelines (~0.25 s), instead of holding up the first pages:
        started when the spider opened, it answered its first page ~0.25 s after it was sent.
        """
        self.clean_worker = CleanWorker(collect_less=self.crawler.settings.getint("NEWSDELTA_GC_THRESHOLD") > 0)

    def keep_clean_worker(self) -> None:
        """The worker is awaited with asyncio: under another Twisted reactor (installed by
        now), pages are cleaned here."""
        if not is_asyncio_reactor_installed():
            self.stop_clean_worker()

    def stop_clean_worker(self) -> None:
        if self.clean_worker is not None:
            self.clean_worker.close()
            self.clean_worker = None

    def article_request(self, url: str, summary_hint: str = "", etag: str = "", last_modified: str = "") -> scrapy.Request:
        """A request for an article page; with validators it is conditional and a 304 is welcome.

        Spiders deduplicate article URLs themselves (`requested`), so the request is exempt from
        Scrapy's duplicate filter: a redirect back to a URL already seen (a loop, an old slug)
        then ends in an error that is recorded, not in a silent drop.
        """
        url = without_tracking(url)
        self.requested.add(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            headers=headers,
            cb_kwargs={"summary_hint": summary_hint},
            meta={"handle_httpstatus_list": [304]} if headers else {},
            dont_filter=True,
        )

    def is_new_article(self, url: str) -> bool:
        return without_tracking(url) not in self.requested

    def page_read(self) -> None:
        """Count a page of the site that answered (a callback ran): a crawl that read none failed."""
        self.crawler.stats.inc_value(PAGES_READ)

    async def parse_article(
        self, response: Response, summary_hint: str = ""
    ) -> AsyncIterator[ArticleItem | FetchFailure | NotModified]:
        self.page_read()
        if response.status == 304:
            asked = requested_url(response)  # the article whose validators were sent
            yield NotModified(url=asked, checked_at=_now(), answered_at=response.url if response.url != asked else "")
            return
        if not _is_web_page(response):
            yield self.page_failure(response, f"not a web page ({response_content_type(response) or 'no content type'})")
            return
        fetched_at = _now()
        profile = self.profile or site_for_page(response.url, response.text)
        dictionary = self.page_dictionary
        try:
            cleaned = await self.clean_page(response, profile, summary_hint, dictionary)
        except NotAnArticle as error:
            if (asked := requested_url(response)) != response.url:
                # The article's URL now leads elsewhere: to the site, a sign it was taken down.
                yield self.failure(asked, f"redirected to a page that is no article ({response.url})", response.status, gone=True)
            else:
                yield self.page_failure(response, f"extraction failed: {error}")
            return
        except ExtractionError as error:
            yield self.page_failure(response, f"extraction failed: {error}")
            return
        # Scrapy's annotation says int; its stats add any number.
        self.crawler.stats.inc_value("newsdelta/page_compress_cpu_s", cleaned.compress_cpu_s)  # type: ignore[arg-type]
        if self.page_dictionary is None and len(response.body) <= DICTIONARY_MAX_BYTES:
            # An article page, not whatever came first: an error page served as 200 would
            # compress the site's pages for a month no better than nothing.
            self.page_dictionary = PageDictionary.of(self.base_url, response.body)
        if moved := self.moved_away(response, cleaned.document):
            yield moved
        yield ArticleItem(
            document=cleaned.document,
            site=profile.name,
            page=cleaned.page,
            page_dictionary=dictionary if cleaned.page_dictionary else None,
            encoding=response.encoding,
            fetched_url=response.url,
            requested_url=requested_url(response),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            fetched_at=fetched_at,
        )

    def page_failure(self, response: Response, reason: str) -> FetchFailure:
        """A page that came but could not be read, recorded under the URL asked for (the
        archived article's, as `on_error` records a failed fetch); after a redirect, the
        reason says where the page was."""
        asked = requested_url(response)
        where = f" (at {response.url})" if asked != response.url else ""
        return self.failure(asked, f"{reason}{where}", response.status)

    def moved_away(self, response: Response, document: Document) -> FetchFailure | None:
        """An archived article asked for at its address, whose page is now another article's
        (the document's canonical URL): it is gone from there.

        Redirected there, its slug changed (WordPress redirects the old one): gone at once
        after a permanent redirect. Answered in place by a page that names another address as
        its own: gone when seen so twice an hour apart, as after a 404 (`record_failures`).
        Not gone are the same path (on the site's other scheme or host: a redirect leads
        nowhere else, `OffsiteRedirectMiddleware`) and the same post (its post id) at a path
        the archive does not hold: the archive moves the article's row there (`Archive.record`).
        """
        asked, url = requested_url(response), document.url
        if asked not in self.known.live or urlsplit(asked).path == urlsplit(url).path:
            return None
        if document.post_id and self.known.post_ids.get(asked) == document.post_id and url not in self.known.urls:
            return None
        if asked == response.url:
            return self.failure(asked, f"moved to {url} (the page's canonical URL)", response.status, gone=True)
        reason = response.meta["redirect_reasons"][0]  # an HTTP status, or "meta refresh"
        return self.failure(asked, f"moved to {url}", reason if isinstance(reason, int) else None, gone=True)

    async def clean_page(
        self, response: Response, profile: SiteProfile, summary_hint: str, dictionary: PageDictionary | None = None
    ) -> Cleaned:
        """The page's document and the page compressed for the archive (against `dictionary`):
        from the cleaning worker if there is one, else made here."""
        content_type = response_content_type(response)
        if self.clean_worker is not None:
            try:
                return await self.clean_worker.clean(
                    response.body, response.url, profile, content_type=content_type, summary_hint=summary_hint,
                    dictionary=dictionary,
                )
            except WorkerGone as gone:
                self.logger.warning("cleaning in the crawl's process from now on: %s", gone)
                self.clean_worker = None
        return clean_for_archive(
            response.body, response.url, profile, content_type=content_type, summary_hint=summary_hint, dictionary=dictionary
        )

    def on_error(self, failure: Failure) -> Iterator[FetchFailure]:
        request = failure.request  # type: ignore[attr-defined]
        url = requested_url(request)  # the article's URL, before redirects
        if failure.check(HttpError):
            response = failure.value.response
            gone = response.status in GONE_STATUSES
            yield self.failure(url, f"HTTP {response.status}", response.status, gone=gone)
        elif failure.check(IgnoreRequest) and "robots.txt" in failure.getErrorMessage():
            self.logger.info("not fetched, robots.txt disallows it: %s", url)  # counted in the summary
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}".strip(": ")
            yield self.failure(url, reason)

    @staticmethod
    def failure(url: str, reason: str, status: int | None = None, gone: bool = False) -> FetchFailure:
        return FetchFailure(url=url, reason=reason, status=status, failed_at=_now(), gone=gone)


#: Query parameters that only say where a reader came from: never part of an article's address.
TRACKING_PARAMETERS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id",
    "fbclid", "gclid", "mc_cid", "mc_eid", "ref", "amp",
)


def without_tracking(url: str) -> str:
    """The URL without its fragment and tracking parameters (w3lib)."""
    return url_query_cleaner(url, TRACKING_PARAMETERS, remove=True, keep_fragments=False)


def _header(response: Response, name: str) -> str:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else ""


def response_content_type(response: Response) -> str:
    return _header(response, "Content-Type")


#: What an article page may be served as; a PDF or an image linked as an article is not one.
WEB_PAGE_TYPES = ("text/html", "application/xhtml+xml", "")


def requested_url(message: Request | Response) -> str:
    """The URL the spider asked for: the request's or response's own, or the first of the
    redirects that led to it (Scrapy's `redirect_urls`)."""
    return message.meta.get("redirect_urls", [message.url])[0]


def _is_web_page(response: Response) -> TypeGuard[TextResponse]:
    media_type = response_content_type(response).split(";")[0].strip().lower()
    return isinstance(response, TextResponse) and media_type in WEB_PAGE_TYPES


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
