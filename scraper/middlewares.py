"""Downloader middleware: what Scrapy has no equivalent for, and one it has at a lower cost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from w3lib.html import get_base_url, get_meta_refresh

from scraper.summary import CRAWL_DELAY
from storage.archive import same_site

#: Bytes of a page searched for a refresh. Scrapy searches its first 4,096 characters, and no
#: encoding spends more than 4 bytes on one: this reaches at least as far, whatever the charset.
META_REFRESH_SCAN_BYTES = 4 * 4096


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: a number of seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting as long as the server asks (up to a bound) first.

    A 429 or 503 with `Retry-After` is the server saying when it can take the request again;
    retrying at once only earns another refusal.
    """

    max_wait: float

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        middleware = super().from_crawler(crawler)
        middleware.max_wait = crawler.settings.getfloat("NEWSDELTA_RETRY_AFTER_MAX")
        return middleware

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait and response.status in (429, 503):
            self.crawler.stats.inc_value("newsdelta/retry_after_waits")
            await asyncio.sleep(min(wait, self.max_wait))
        return self._retry(request, response_status_message(response.status)) or response


class OffsiteRedirectMiddleware:
    """Never follow a redirect to another site.

    Article requests bypass Scrapy's duplicate filter (the spiders deduplicate them), and with
    it Scrapy's offsite check; this keeps redirects on the site being crawled. The site's
    twins are the site (`same_site`): `example.com` redirecting to `www.example.com`, or http to
    https, is where it lives now, and the archive follows it there.
    """

    def process_request(self, request: Request) -> None:
        chain = request.meta.get("redirect_urls")
        if chain and not same_site(chain[0], request.url):
            raise IgnoreRequest(f"redirected off-site to {request.url}")


def meta_refresh(response: HtmlResponse, ignore_tags: list[str]) -> tuple[None, None] | tuple[float, str]:
    """The page's `<meta http-equiv="refresh">`: (seconds, absolute URL), or (None, None).

    What `scrapy.utils.response.get_meta_refresh` answers, read from the page's bytes: Scrapy's
    decodes the whole page (`response.text`) to search its start, while w3lib (>= 2.5) rules a
    refresh out in the bytes, and decodes only the start of a page that may have one. A page's
    `<base href>` matters only to a refresh it has, so it is looked for only then.
    """
    body, encoding = response.body, response.encoding
    found = get_meta_refresh(body, response.url, encoding, ignore_tags, max_scan=META_REFRESH_SCAN_BYTES)
    if found[1] is None:
        return found
    base_url = get_base_url(body, response.url, encoding, max_scan=META_REFRESH_SCAN_BYTES)
    return get_meta_refresh(body, base_url, encoding, ignore_tags, max_scan=META_REFRESH_SCAN_BYTES)


class BytesMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware (same settings), finding the refresh with `meta_refresh`.

    Decoding every 100 KB article page only to learn it has no refresh was ~85 µs a page, 7% of
    a crawl's own CPU (bench/README.md).
    """

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if (
            request.meta.get("dont_redirect", False)
            or request.method == "HEAD"
            or not isinstance(response, HtmlResponse)
            or urlparse_cached(request).scheme not in {"http", "https"}
        ):
            return response
        interval, url = meta_refresh(response, self._ignore_tags)
        if not url:
            return response
        redirected = self._redirect_request_using_get(request, response, url)
        if urlparse_cached(redirected).scheme not in {"http", "https"}:
            return response
        if interval is not None and interval < self._maxdelay:
            return self._redirect(redirected, request, "meta refresh")
        return response


class CrawlDelayRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware (same settings), also honouring robots.txt's `Crawl-delay`.

    Scrapy reads only Allow and Disallow from robots.txt. A site that asks for N seconds
    between requests gets them: the download slot of its host waits that long between two
    requests it starts, and AutoThrottle, which would shorten the wait again, leaves the
    slot's delay alone. A delay past NEWSDELTA_CRAWL_DELAY_MAX is held to it, and said so.
    """

    max_delay: float
    #: The hosts whose delay was logged.
    announced: set[str]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayRobotsTxtMiddleware:
        middleware = super().from_crawler(crawler)
        middleware.max_delay = crawler.settings.getfloat("NEWSDELTA_CRAWL_DELAY_MAX")
        middleware.announced = set()
        return middleware

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        super().process_request_2(rp, request)  # IgnoreRequest when disallowed
        delay = self._crawl_delay(rp, request)
        if not delay:
            return
        request.meta["autothrottle_dont_adjust_delay"] = True
        downloader = self.crawler.engine.downloader  # type: ignore[union-attr]
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None and slot.delay < delay:
            slot.delay = delay
            slot.jitter = 0.0  # at least the delay asked for: Scrapy's jitter would halve some

    def _crawl_delay(self, rp: RobotParser | None, request: Request) -> float:
        read = getattr(rp, "crawl_delay", None)  # Protego's parser (Scrapy's default) has it
        if read is None:
            return 0.0
        agent = self._robotstxt_useragent or request.headers.get(b"User-Agent", self._default_useragent)
        asked = read(agent) or 0.0
        delay = min(asked, self.max_delay)
        host = urlparse_cached(request).netloc
        if asked and host not in self.announced:
            self.announced.add(host)
            held = f", held to {self.max_delay:g} s (NEWSDELTA_CRAWL_DELAY_MAX)" if delay < asked else ""
            self.crawler.spider.logger.info(  # type: ignore[union-attr]
                "robots.txt of %s asks for %g s between requests%s: one request every %g s", host, asked, held, delay
            )
            self.crawler.stats.max_value(CRAWL_DELAY, delay)  # type: ignore[union-attr, arg-type]
        return delay
