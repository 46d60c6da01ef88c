"""A lean HTTP/1.1 server for pre-rendered stand-in pages, so the server is never the bench's limit.

The stand-in's own server (stdlib `ThreadingHTTPServer`, a Jinja render per request) is built
for tests that change the site while it runs; at bench rates it costs the crawler CPU on a
2-core machine (bench/README.md has the measurement). Here every page is rendered once, before
anything is timed, and served from memory by one asyncio loop in a background thread: a dict
lookup, a validator check (the stand-in's own `_not_modified`) and a `writelines`.

It counts what it served (requests and bytes by kind and status) and the CPU its thread used,
so the bench can show that the server was idle most of the time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus

from scraper.standin.server import HOST, HTML, NOT_FOUND_PAGE, _not_modified


@dataclass(frozen=True)
class Page:
    """One response, ready to send: the status line and headers are built once."""

    status: int
    kind: str
    #: The body in pieces: a block every page shares (the inline stylesheet) is one object.
    body: tuple[bytes, ...]
    head: bytes
    #: For articles: the validators, and the 304 head that goes with them.
    etag: str = ""
    last_modified: datetime | None = None
    not_modified_head: bytes = b""

    @property
    def length(self) -> int:
        return sum(map(len, self.body))


def build_page(
    status: int,
    kind: str,
    content_type: str,
    body: tuple[bytes, ...],
    validators: dict[str, str] | None = None,
    last_modified: datetime | None = None,
) -> Page:
    """A `Page` with its response heads (200-or-404 and, with validators, 304)."""
    validators = validators or {}
    extra = "".join(f"{name}: {value}\r\n" for name, value in validators.items())
    length = sum(map(len, body))
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nServer: nginx\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n{extra}\r\n"
    ).encode("latin-1")
    not_modified = b""
    if validators.get("ETag"):
        not_modified = (  # as the stand-in answers a 304: its HTML type, no body
            "HTTP/1.1 304 Not Modified\r\nServer: nginx\r\n"
            f"Content-Type: text/html; charset=UTF-8\r\nContent-Length: 0\r\n{extra}\r\n"
        ).encode("latin-1")
    return Page(status, kind, body, head, validators.get("ETag", ""), last_modified, not_modified)


#: WordPress' 404 page, as the stand-in serves it.
NOT_FOUND = build_page(404, "other", HTML, (NOT_FOUND_PAGE.encode(),))


class _Headers(dict[str, str]):
    """Request headers by lower-cased name, read as `http.server`'s case-insensitive message."""

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(name.lower(), default)


@dataclass
class Served:
    """What the server answered: requests and bytes sent, by (kind, status)."""

    requests: Counter[tuple[str, int]] = field(default_factory=Counter)
    bytes: Counter[tuple[str, int]] = field(default_factory=Counter)

    def count(self, kind: str | None = None, status: int | None = None) -> int:
        return sum(
            n for (k, s), n in self.requests.items() if kind in (None, k) and status in (None, s)
        )

    def sent(self, kind: str | None = None, status: int | None = None) -> int:
        return sum(
            n for (k, s), n in self.bytes.items() if kind in (None, k) and status in (None, s)
        )


class _Connection(asyncio.Protocol):
    def __init__(self, server: PageServer) -> None:
        self.server = server
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            request = bytes(self.buffer[:end])
            del self.buffer[: end + 4]
            if not self.server.answer(request, self.transport):  # type: ignore[arg-type]
                self.transport.close()  # type: ignore[union-attr]
                return


class PageServer:
    """`with PageServer() as server: server.pages = {...}; crawl server.url`. 127.0.0.1 only."""

    def __init__(self, port: int = 0) -> None:
        self.pages: dict[str, Page] = {}
        self.served = Served()
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(
            self._loop.create_server(lambda: _Connection(self), HOST, port, backlog=512)
        )
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="bench-pages", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.sockets[0].getsockname()[1]}"

    def answer(self, request: bytes, transport: asyncio.Transport) -> bool:
        """Send the response to one request; False when the connection is to be closed."""
        lines = request.decode("latin-1").split("\r\n")
        method, target, *_ = lines[0].split(" ")
        headers = _Headers()
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        page = self.pages.get(target.split("?", 1)[0].split("#", 1)[0], NOT_FOUND)
        if page.etag and _not_modified(headers, page.etag, page.last_modified):
            status, pieces = 304, [page.not_modified_head]
        else:
            status, pieces = page.status, [page.head, *(() if method == "HEAD" else page.body)]
        transport.writelines(pieces)
        self.served.requests[(page.kind, status)] += 1
        self.served.bytes[(page.kind, status)] += sum(map(len, pieces))
        return (headers.get("connection") or "").lower() != "close"

    def reset(self) -> Served:
        """What was served since the last reset (counted from now on afresh)."""
        served, self.served = self.served, Served()
        return served

    def cpu_seconds(self) -> float:
        """CPU time the server's thread has used: the share of a core it took from the crawl."""
        return time.clock_gettime(time.pthread_getcpuclockid(self._thread.ident or 0))

    def start(self) -> PageServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        def shutdown() -> None:
            self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(shutdown)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> PageServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
