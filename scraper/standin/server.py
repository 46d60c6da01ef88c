"""The stand-in's HTTP server: WordPress' URL space over a `StandinSite`, on 127.0.0.1 only.

A real server (stdlib `ThreadingHTTPServer`, HTTP/1.1 keep-alive) so crawls go through Scrapy's
whole download stack. It counts its responses so tests can say what a crawl fetched.
"""

from __future__ import annotations

import re
import socket
import ssl
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from scraper.standin.site import StandinSite

HOST = "127.0.0.1"
#: Requests whose arrival the stand-in remembers (`StandinServer.arrivals`).
ARRIVALS_KEPT = 100_000

ARTICLE_PATH = re.compile(r"^/(?P<slug>[a-z0-9][a-z0-9-]*)/$")
#: An article's address typed without its trailing slash: WordPress' `redirect_canonical`
#: answers it with a 301 to the address with it.
UNSLASHED_PATH = re.compile(r"^/(?P<slug>[a-z0-9][a-z0-9-]*)$")
LISTING_PATH = re.compile(r"^(?:/category/(?P<category>[a-z0-9-]+))?/(?:page/(?P<page>\d+)/)?$")
#: Post sitemaps, by sitemap style: WordPress core's, and Yoast's (its first has no number).
POST_SITEMAP_PATHS = {
    "core": re.compile(r"^/wp-sitemap-posts-post-(?P<page>\d+)\.xml$"),
    "yoast": re.compile(r"^/post-sitemap(?P<page>\d*)\.xml$"),
}
SITEMAP_PATHS = {
    "core": ("/wp-sitemap.xml", "/wp-sitemap-posts-page-1.xml", "/wp-sitemap-taxonomies-category-1.xml"),
    "yoast": ("/sitemap_index.xml", "/page-sitemap.xml", "/category-sitemap.xml"),
}
#: WordPress date archives: an endless URL space (every month links to the one before).
CALENDAR_PATH = re.compile(r"^/(?P<year>\d{4})/(?P<month>\d{2})/(?:\d{2}/)?$")

ROBOTS_TXT = """User-agent: *
Disallow: /wp-admin/
Allow: /wp-admin/admin-ajax.php
Disallow: /?s=

Sitemap: {base}{sitemap}
"""


@dataclass
class Fault:
    """What the stand-in serves at a path instead of its page: the broken web, on demand."""

    status: int = 503
    body: bytes = b"<html><body><h1>Service Unavailable</h1></body></html>"
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=UTF-8"
    #: Serve the fault this many times, then the page again (None: until healed).
    times: int | None = None
    #: Promise a long body, send a little of it, then reset the connection.
    reset: bool = False
    #: Stream this many bytes of filler page (a page far too large).
    size: int = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "nginx"
    sys_version = ""

    def setup(self) -> None:
        """On a TLS stand-in, a connection that starts a TLS handshake is served over TLS; one
        that speaks plain HTTP gets a 301 to the same address on https, as a site that moved
        to https answers its old links (one port serves both: `StandinServer(tls=…)`)."""
        self.plain_on_tls = False
        if self.server.tls is not None:
            if self.request.recv(1, socket.MSG_PEEK) == b"\x16":  # a TLS record: the handshake
                self.request = self.server.tls.wrap_socket(self.request, server_side=True)
            else:
                self.plain_on_tls = True
        super().setup()

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        self.server.arrived(self.path)
        path = urlsplit(self.path).path
        if self.plain_on_tls:
            self._send(self._moved_to_https(path), head)
            return
        if delay := self.server.delays.get(path):
            time.sleep(delay)
        if fault := self.server.take_fault(path):
            self._fault(fault)
            return
        self._send(self.server.route(path, self.headers), head)

    def _send(self, response: Response, head: bool) -> None:
        status, kind, content_type, body, headers = response
        self.server.count(kind, status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head and status != HTTPStatus.NOT_MODIFIED:
            self.wfile.write(body)

    def _moved_to_https(self, path: str) -> Response:
        # Counted as ("moved", 301), robots.txt apart: Scrapy asks for it on the scheme it meets first.
        kind = "robots" if path == "/robots.txt" else "moved"
        body = b"<html><body><h1>301 Moved Permanently</h1></body></html>"
        return HTTPStatus.MOVED_PERMANENTLY, kind, "text/html", body, {"Location": f"{self.server.base_url}{self.path}"}

    def _fault(self, fault: Fault) -> None:
        self.server.count("fault", fault.status)
        self.send_response(fault.status)
        self.send_header("Content-Type", fault.content_type)
        length = fault.size or (len(fault.body) * 50 if fault.reset else len(fault.body))
        self.send_header("Content-Length", str(length))
        for name, value in fault.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            if fault.reset:
                self.wfile.write(fault.body)
                self.wfile.flush()
                # SO_LINGER 0: close() sends RST, as a crashed upstream would.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
            elif fault.size:
                chunk = b"<p>" + b"filler " * 1400 + b"</p>\n"
                sent = 0
                while sent < fault.size:
                    piece = chunk[: fault.size - sent]
                    self.wfile.write(piece)
                    sent += len(piece)
            else:
                self.wfile.write(fault.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up on it, as it should

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the counters say what was served."""


Response = tuple[int, str, str, bytes, dict[str, str]]

HTML = "text/html; charset=UTF-8"
#: WordPress' 404 page.
NOT_FOUND_PAGE = (
    "<!DOCTYPE html><html><head><title>Page not found</title></head>"
    "<body><h1>Oops! That page can’t be found.</h1></body></html>"
)
XML = "application/xml; charset=UTF-8"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A crawl opens many connections at once; the stdlib default backlog (5) drops some.
    request_queue_size = 128

    def __init__(self, site: StandinSite, port: int, tls: ssl.SSLContext | None = None) -> None:
        super().__init__((HOST, port), _Handler)
        self.site = site
        self.tls = tls
        self.hits: Counter[tuple[str, int]] = Counter()
        self._hits_lock = threading.Lock()
        #: path (or "*" for every path) → what to serve instead of the page.
        self.faults: dict[str, Fault] = {}
        #: robots.txt lines added to the stand-in's own.
        self.robots_extra = ""
        #: path → seconds to wait before answering: a slow server.
        self.delays: dict[str, float] = {}
        #: (time.monotonic(), path) of the latest requests, as they arrived (bounded: a stand-in
        #: left running by `newsdelta standin` serves for as long as it is asked to).
        self.arrivals: deque[tuple[float, str]] = deque(maxlen=ARRIVALS_KEPT)

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.server_address[1]}"

    def take_fault(self, path: str) -> Fault | None:
        with self._hits_lock:
            key = path if path in self.faults else "*" if "*" in self.faults and path != "/robots.txt" else None
            if key is None:
                return None
            fault = self.faults[key]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[key]
            return fault

    def arrived(self, path: str) -> None:
        with self._hits_lock:
            self.arrivals.append((time.monotonic(), path))

    def count(self, kind: str, status: int) -> None:
        with self._hits_lock:
            self.hits[(kind, int(status))] += 1

    def route(self, path: str, request_headers: object) -> Response:
        return respond(self.site, self.base_url, path, request_headers, self.robots_extra)


def respond(site: StandinSite, base: str, path: str, request_headers: object, robots_extra: str = "") -> Response:
    """The response to a GET of `path`: WordPress' URL space over `site`, no socket involved."""
    index, pages, categories = SITEMAP_PATHS[site.sitemap_style]
    if path == "/robots.txt":
        return _ok("robots", "text/plain; charset=UTF-8", ROBOTS_TXT.format(base=base, sitemap=index) + robots_extra)
    if path == "/feed/":
        return _ok("feed", "application/rss+xml; charset=UTF-8", site.render_feed(base))
    if path == index:
        return _ok("sitemap", XML, site.render_sitemap_index(base))
    if path == pages:
        return _ok("sitemap", XML, site.render_page_sitemap(base))
    if path == categories:
        return _ok("sitemap", XML, site.render_category_sitemap(base))
    if path == "/about-indbiz/":
        return _ok("page", HTML, site.render_about(base))
    if match := CALENDAR_PATH.match(path):
        year, month = int(match["year"]), int(match["month"])
        previous = f"{year - (month == 1)}/{12 if month == 1 else month - 1:02d}"
        page = f'<html><body class="archive date"><h1>Month: {year}/{month:02d}</h1><a href="{base}/{previous}/">Older</a></body></html>'
        return _ok("calendar", HTML, page)
    if match := POST_SITEMAP_PATHS[site.sitemap_style].match(path):
        return _maybe("sitemap", XML, site.render_post_sitemap(base, int(match["page"] or 1)))
    if match := LISTING_PATH.match(path):
        page_number = int(match["page"] or 1)
        return _maybe("listing", HTML, site.render_listing(base, page_number, match["category"]))
    if match := ARTICLE_PATH.match(path):
        return _article(site, base, match["slug"], request_headers)
    if (match := UNSLASHED_PATH.match(path)) and site.article(match["slug"]) is not None:
        return HTTPStatus.MOVED_PERMANENTLY, "redirect", HTML, b"", {"Location": f"{base}/{match['slug']}/"}
    return _not_found("other")


def _article(site: StandinSite, base: str, slug: str, request_headers: object) -> Response:
    article = site.article(slug)
    if article is None and (new_slug := site.moved_to(slug)):
        return HTTPStatus.MOVED_PERMANENTLY, "redirect", HTML, b"", {"Location": f"{base}/{new_slug}/"}
    if article is None:
        return _not_found("article", site.gone_status(slug) or HTTPStatus.NOT_FOUND)
    etag = site.etag(article)
    last_modified = format_datetime(article.last_modified, usegmt=False)
    validators = {"ETag": etag, "Last-Modified": last_modified, "Cache-Control": "max-age=0"}
    if _not_modified(request_headers, etag, article.last_modified):
        return HTTPStatus.NOT_MODIFIED, "article", HTML, b"", validators
    html = site.render_article(article, base)
    content_type = f"text/html; charset={article.encoding.upper()}"
    return HTTPStatus.OK, "article", content_type, html.encode(article.encoding, "xmlcharrefreplace"), validators


def _ok(kind: str, content_type: str, text: str) -> Response:
    return HTTPStatus.OK, kind, content_type, text.encode("utf-8"), {}


def _maybe(kind: str, content_type: str, text: str | None) -> Response:
    return _ok(kind, content_type, text) if text is not None else _not_found(kind)


def _not_found(kind: str, status: int = HTTPStatus.NOT_FOUND) -> Response:
    return status, kind, HTML, NOT_FOUND_PAGE.encode("utf-8"), {}


def _not_modified(headers: object, etag: str, last_modified: object) -> bool:
    """RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since."""
    get: Callable[[str], str | None] = headers.get  # type: ignore[attr-defined]
    if_none_match = get("If-None-Match")
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
    if_modified_since = get("If-Modified-Since")
    if if_modified_since:
        try:
            return parsedate_to_datetime(if_modified_since) >= last_modified.replace(microsecond=0)  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            return False
    return False


class StandinServer:
    """The stand-in served in a background thread: `with StandinServer() as server: server.url`."""

    def __init__(self, site: StandinSite | None = None, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        """`tls`: serve https (and answer plain http on the same port with a 301 to it)."""
        self.site = site or StandinSite()
        self._server = _Server(self.site, port, tls)
        self._thread = threading.Thread(target=self._server.serve_forever, name="standin", daemon=True)

    @property
    def url(self) -> str:
        return self._server.base_url

    @property
    def hits(self) -> Counter[tuple[str, int]]:
        """Responses served so far, by (kind, status): kind is article, listing, sitemap, feed…"""
        return self._server.hits

    def reset_hits(self) -> None:
        self._server.hits.clear()

    def article_url(self, slug: str) -> str:
        return f"{self.url}/{slug}/"

    def fail(self, path: str, status: int = 503, body: bytes | None = None, **options: object) -> None:
        """Serve a `Fault` at `path` ("*": every path but robots.txt) instead of its page, until healed."""
        fault = Fault(status=status, **options)  # type: ignore[arg-type]
        if body is not None:
            fault.body = body
        self._server.faults[path] = fault

    @property
    def arrivals(self) -> list[tuple[float, str]]:
        """(time.monotonic(), path) of the requests so far (the latest ARRIVALS_KEPT), in the
        order they arrived."""
        with self._server._hits_lock:
            return list(self._server.arrivals)

    def ask_crawl_delay(self, seconds: float) -> None:
        """Add a `Crawl-delay:` line to robots.txt."""
        self._server.robots_extra += f"Crawl-delay: {seconds:g}\n"

    def disallow(self, prefix: str) -> None:
        """Add a `Disallow:` line to robots.txt."""
        self._server.robots_extra += f"Disallow: {prefix}\n"

    def delay(self, path: str, seconds: float) -> None:
        """Answer `path` only after `seconds` (past the crawler's timeout: a hung server)."""
        self._server.delays[path] = seconds

    def heal(self, path: str = "*") -> None:
        self._server.faults.pop(path, None)
        self._server.delays.pop(path, None)

    def start(self) -> StandinServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
