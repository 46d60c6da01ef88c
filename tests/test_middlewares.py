"""newsdelta's downloader middlewares, against what Scrapy's own would do.

`BytesMetaRefreshMiddleware` exists for speed only: its `meta_refresh` is compared here with
Scrapy's `get_meta_refresh` on every stored page and on hand-written refresh pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.response import get_meta_refresh
from scrapy.utils.test import get_crawler

from scraper.middlewares import (
    META_REFRESH_SCAN_BYTES,
    BytesMetaRefreshMiddleware,
    OffsiteRedirectMiddleware,
    meta_refresh,
)

FIXTURES = Path(__file__).parent / "fixtures"
BENCH_PAGES = Path(__file__).parent.parent / "bench" / "pages"
STORED_PAGES = sorted(FIXTURES.rglob("*.html")) + sorted(BENCH_PAGES.glob("*.html"))
URL = "https://example.org/news/2024/a-story/"
IGNORE = ["noscript"]  # METAREFRESH_IGNORE_TAGS

REFRESH_PAGES = {
    "none": "<html><head><title>x</title></head><body><p>No refresh here.</p></body></html>",
    "relative": '<html><head><meta http-equiv="refresh" content="0; url=/"></head></html>',
    "absolute, delayed": "<html><head><meta content='5;URL=https://example.org/moved/' http-equiv='Refresh'></head></html>",
    "upper case": '<HTML><HEAD><META HTTP-EQUIV="REFRESH" CONTENT="0;URL=../other/"></HEAD></HTML>',
    "with a base": '<html><head><base href="https://example.org/base/"><meta http-equiv="refresh" content="1; url=next.html"></head></html>',
    "in noscript": '<html><head><noscript><meta http-equiv="refresh" content="0; url=/js/"></noscript></head></html>',
    "in a comment": '<html><head><!-- <meta http-equiv="refresh" content="0; url=/old/"> --></head></html>',
    "entity in the value": '<html><head><meta http-equiv="&#114;efresh" content="0; url=/entity/"></head></html>',
    "other http-equiv": '<html><head><meta http-equiv="X-UA-Compatible" content="IE=edge"></head><body>refresh</body></html>',
    "non-ascii first": "<html><head><title>" + "निर्यात " * 300 + '</title><meta http-equiv="refresh" content="0; url=/hi/"></head></html>',
    "after 4,000 characters": "<html><head>" + "<!-- padding -->" * 250 + '<meta http-equiv="refresh" content="0; url=/late/"></head></html>',
}
ENCODINGS = ["utf-8", "windows-1252", "utf-16", "gb18030"]


def response(body: bytes, charset: str | None = "utf-8") -> HtmlResponse:
    headers = {"Content-Type": f"text/html; charset={charset}" if charset else "text/html"}
    return HtmlResponse(URL, body=body, headers=headers)


@pytest.mark.parametrize("path", STORED_PAGES, ids=lambda path: path.name)
def test_stored_pages_have_the_refresh_scrapy_finds(path: Path) -> None:
    page = response(path.read_bytes(), charset=None)
    assert meta_refresh(page, IGNORE) == get_meta_refresh(page, ignore_tags=IGNORE)


def encodable(html: str, encoding: str) -> bool:
    try:
        html.encode(encoding)
    except UnicodeEncodeError:  # Devanagari in windows-1252
        return False
    return True


@pytest.mark.parametrize(
    "name, encoding",
    [(name, encoding) for name in REFRESH_PAGES for encoding in ENCODINGS if encodable(REFRESH_PAGES[name], encoding)],
)
def test_refresh_pages_as_scrapy_reads_them(name: str, encoding: str) -> None:
    page = response(REFRESH_PAGES[name].encode(encoding), charset=encoding)
    assert meta_refresh(page, IGNORE) == get_meta_refresh(page, ignore_tags=IGNORE)


def test_the_hand_written_pages_cover_what_they_name() -> None:
    found = {name: meta_refresh(response(html.encode()), IGNORE) for name, html in REFRESH_PAGES.items()}
    assert found["relative"] == (0.0, "https://example.org/")
    assert found["absolute, delayed"] == (5.0, "https://example.org/moved/")
    assert found["with a base"] == (1.0, "https://example.org/base/next.html")
    assert found["non-ascii first"] == (0.0, "https://example.org/hi/")
    # Neither Scrapy (w3lib) nor this decodes a character reference in the http-equiv value.
    for name in ("none", "in noscript", "in a comment", "other http-equiv", "entity in the value"):
        assert found[name] == (None, None), name


def test_a_refresh_scrapy_would_not_reach_is_still_found_within_the_scan() -> None:
    """Scrapy reads 4,096 characters; the bytes scan reaches at least that far, whatever the charset."""
    late = "<html><head><title>" + "x" * 6000 + '</title><meta http-equiv="refresh" content="0; url=/later/"></head></html>'
    assert len(late.encode()) < META_REFRESH_SCAN_BYTES
    assert get_meta_refresh(response(late.encode()), ignore_tags=IGNORE) == (None, None)
    assert meta_refresh(response(late.encode()), IGNORE) == (0.0, "https://example.org/later/")


def test_the_middleware_redirects_as_scrapys_does() -> None:
    crawler = get_crawler(settings_dict={"METAREFRESH_MAXDELAY": 10})
    middleware = BytesMetaRefreshMiddleware.from_crawler(crawler)
    request = Request(URL)
    redirected = middleware.process_response(request, response(REFRESH_PAGES["relative"].encode()))
    assert isinstance(redirected, Request)
    assert redirected.url == "https://example.org/"
    assert redirected.meta["redirect_urls"] == [URL]
    assert redirected.meta["redirect_reasons"] == ["meta refresh"]
    too_slow = response(REFRESH_PAGES["absolute, delayed"].encode().replace(b"5;", b"60;"))
    assert middleware.process_response(request, too_slow) is too_slow
    plain = response(REFRESH_PAGES["none"].encode())
    assert middleware.process_response(request, plain) is plain
    refreshing = response(REFRESH_PAGES["relative"].encode())
    assert middleware.process_response(Request(URL, meta={"dont_redirect": True}), refreshing) is refreshing


@pytest.mark.parametrize(
    ("first", "then", "followed"),
    [
        ("http://example.com/a/", "https://example.com/a/", True),  # the site moved to https
        ("http://example.com/a/", "https://www.example.com/a/", True),  # …and to www: a site typed without it
        ("https://www.example.com/a/", "https://example.com/b/", True),
        ("https://example.com/a/", "https://example.org/a/", False),  # another site
        ("https://example.com/a/", "https://cdn.example.com/a/", False),  # another host of the domain
        ("https://example.com/a/", "https://example.com.evil.test/a/", False),
        ("https://example.com/a/", "https://example.com:8443/a/", False),
    ],
)
def test_a_redirect_is_followed_only_on_the_site_or_its_twins(first: str, then: str, followed: bool) -> None:
    """Before, a redirect from `example.com` to `www.example.com` was "off-site": a crawl of a
    site given without its `www.` read nothing, and a site moving there failed every page."""
    request = Request(then, meta={"redirect_urls": [first]})
    if followed:
        assert OffsiteRedirectMiddleware().process_request(request) is None
    else:
        with pytest.raises(IgnoreRequest, match=f"^redirected off-site to {then}$"):
            OffsiteRedirectMiddleware().process_request(request)
