"""`clean()` in a process of its own, so a crawl cleans on one core while it downloads on another.

Cleaning a page costs about as much CPU as Scrapy spends fetching it (bench/README.md). In the
crawl's process the two take turns on one core however many the machine has; here the crawl
hands each page to a worker process and goes on downloading while it is cleaned.

The worker (`python -m scraper.worker FD [collect-less]`) reads pages from a socket and answers,
one after another, with each page's document and the page compressed for the archive
(`scraper.cleaning.Cleaned`). What it answers with is defined in other modules: this one runs
as `__main__` in the worker, and a pickle would name a class of it `__main__.…`. The crawl's
side is asyncio-native (no threads, no executor): a `concurrent.futures` process pool costs
~1 ms of the crawl's CPU per page in thread hand-offs, as much as it saves. If the worker dies,
or answers what cannot be read, `WorkerGone` says so and the crawl cleans by itself.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import socket
import sys
from typing import Any

from scraper import ipc
from scraper.cleaning import Cleaned, clean_for_archive
from scraper.sites import SiteProfile
from storage.pages import PageDictionary

#: Seconds the worker has to exit once the crawl closes its socket.
EXIT_WAIT_S = 5.0
#: Allocations between two collections of the worker's youngest generation (`main`).
GC_THRESHOLD = 5_000
#: Bytes each end of the socket may hold unread (SO_SNDBUF; Linux caps it at
#: net.core.wmem_max and doubles it). At the default ~200 KB, two pages, the worker had
#: cleaned what the socket held before the crawl's busy event loop got round to sending more,
#: and waited: the machine's two cores were 30% idle through a crawl. With room for the pages
#: the crawl has in hand (Scrapy's 5 MB of responses in progress), 5-15% (bench/README.md).
SOCKET_BUFFER = 4 << 20


#: An object as a request carries it (`CleanWorker._named`): its number, with the object itself
#: the first time; None for no object.
Named = tuple[int, object | None] | None


class WorkerGone(RuntimeError):
    """The cleaning worker is not running (it died, or was closed)."""


class CleanWorker:
    """The crawl's handle on one worker process; use it from the crawl's asyncio loop."""

    def __init__(self, collect_less: bool = False) -> None:
        """`collect_less`: space the worker's garbage collections (`main`). The worker imports
        no Scrapy: it would add 27 MB to every crawl."""
        self._helper = ipc.HelperProcess("scraper.worker", *(["collect-less"] if collect_less else []))
        self._socket = self._helper.connection
        self._socket.setblocking(False)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        self._ids = itertools.count()
        self._pending: dict[int, asyncio.Future[Cleaned]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._sending: asyncio.Lock | None = None
        self._gone: str = ""
        #: What the worker holds already (the site profile, the page dictionary), by `id()`:
        #: the number later pages name it by, and the object, kept so no other takes its `id()`.
        self._held: dict[int, tuple[int, object]] = {}
        self._held_numbers = itertools.count()

    async def clean(
        self,
        html: bytes,
        url: str,
        profile: SiteProfile | None,
        *,
        content_type: str | None,
        summary_hint: str,
        dictionary: PageDictionary | None = None,
    ) -> Cleaned:
        """`clean_for_archive(...)`, by the worker: raises what it raises, or `WorkerGone`."""
        if self._gone:
            raise WorkerGone(self._gone)
        loop = asyncio.get_running_loop()
        if self._reader is None:
            self._reader = loop.create_task(self._read())
            self._sending = asyncio.Lock()
        assert self._sending is not None
        number = next(self._ids)
        answer: asyncio.Future[Cleaned] = loop.create_future()
        self._pending[number] = answer
        shared = (self._named(profile), self._named(dictionary))
        request = ipc.frame(ipc.dumps((number, html, url, content_type, summary_hint, *shared)))
        try:
            async with self._sending:  # one whole frame at a time on the socket
                await loop.sock_sendall(self._socket, request)
        except OSError as error:
            self._fail(f"cannot reach the cleaning worker: {error}")
        for named in shared:
            if named is not None and named[1] is not None:  # held once sent: not before, as a page cancelled on its way never is
                self._held[id(named[1])] = (named[0], named[1])
        return await answer

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        buffer = bytearray()
        try:
            while chunk := await loop.sock_recv(self._socket, 1 << 20):
                buffer += chunk
                for number, ok, value in ipc.complete_messages(buffer):
                    answer = self._pending.pop(number)
                    if answer.done():  # its page's callback was cancelled meanwhile
                        continue
                    if ok:
                        answer.set_result(value)
                    else:
                        answer.set_exception(value)
        except OSError as error:
            self._fail(f"the cleaning worker's socket failed: {error}")
        except Exception as error:  # an answer that does not read: waiting on would hang the crawl
            self._fail(f"the cleaning worker's answer could not be read: {type(error).__name__}: {error}")
        else:
            self._fail(f"the cleaning worker exited (code {self._helper.process.poll()})")

    def _named(self, thing: object) -> Named:
        """`thing` whole with a number until the worker holds it, then only its number: the
        socket keeps the order, so the worker has it by the time a page names it.

        The page dictionary is ~100 KB. The site profile is small, but unpickled afresh with
        every page it cost the worker ~0.05 ms of its ~1.5 ms a page (bench/README.md)."""
        if thing is None:
            return None
        if (held := self._held.get(id(thing))) is not None:
            return held[0], None
        return next(self._held_numbers), thing

    def _fail(self, reason: str) -> None:
        self._gone = self._gone or reason
        for answer in self._pending.values():
            if not answer.done():
                answer.set_exception(WorkerGone(self._gone))
        self._pending.clear()

    def close(self) -> None:
        """Close the socket: the worker finishes the page in hand and exits."""
        self._gone = self._gone or "closed"
        if self._reader is not None:
            self._reader.cancel()
        self._helper.close(EXIT_WAIT_S)


def _answer(
    held: dict[int, Any],
    number: int,
    html: bytes,
    url: str,
    content_type: str | None,
    hint: str,
    profile: Named,
    dictionary: Named,
) -> bytes:
    """A page's answer; `held` keeps what the crawl sent whole (`CleanWorker._named`), for the
    pages that name it."""
    # Outside the `try`: a number the worker never got is a broken hand-over, not a page that
    # failed; the worker dies of it, and the crawl cleans by itself (`WorkerGone`).
    site, page_dictionary = _object_named(held, profile), _object_named(held, dictionary)
    try:
        cleaned = clean_for_archive(
            html, url, site, content_type=content_type, summary_hint=hint, dictionary=page_dictionary
        )
        result: tuple[int, bool, Any] = (number, True, cleaned)
    except Exception as error:  # the crawl raises it where `clean` was called
        result = (number, False, error)
    try:
        return ipc.dumps(result)
    except Exception:  # an exception that does not pickle: its message does
        return ipc.dumps((number, False, RuntimeError(f"{type(result[2]).__name__}: {result[2]}")))


def _object_named(held: dict[int, Any], named: Named) -> Any:
    """What `named` names: sent whole now (kept from now on), or earlier."""
    if named is None:
        return None
    key, thing = named
    if thing is not None:
        held[key] = thing
    return held[key]


def main(argv: list[str]) -> None:
    """The worker: answer each request on the socket until the crawl closes it.

    Each page leaves a BeautifulSoup tree that only the cyclic collector frees, and every
    collection also went through the modules the worker imported. With those frozen out and
    the youngest generation collected every GC_THRESHOLD allocations instead of 700, cleaning
    takes 6-8% less CPU (bench/README.md); at the crawl process' 50,000, the trees piled up to
    150 MB more for 1-4% more.
    """
    ipc.leave_stop_signals_to_the_crawl()
    if argv[1:] == ["collect-less"]:  # as scraper.gctuning does in the crawl's process
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    with socket.socket(fileno=int(argv[0])) as connection, connection.makefile("rb") as requests:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        held: dict[int, Any] = {}
        while (request := ipc.receive(requests)) is not None:
            try:
                connection.sendall(ipc.frame(_answer(held, *request)))
            except OSError:
                break


if __name__ == "__main__":
    main(sys.argv[1:])
