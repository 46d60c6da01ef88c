"""Downloader middleware Scrapy has no equivalent for."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.response import response_status_message


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
    """Never follow a redirect to another host.

    Article requests bypass Scrapy's duplicate filter (the spiders deduplicate them), and with
    it Scrapy's offsite check; this keeps redirects on the site being crawled.
    """

    def process_request(self, request: Request) -> None:
        chain = request.meta.get("redirect_urls")
        if chain and urlsplit(chain[0]).netloc != urlsplit(request.url).netloc:
            raise IgnoreRequest(f"redirected off-site to {request.url}")
