"""The bench (`python -m bench`): it runs, its pages are the stand-in's, its site is deterministic;
and the cleaning worker the bench led to cleans as `clean` does.

No timed assertion: timing on a shared machine is noise. The smoke run checks that every row of
the table is printed; PASS or FAIL is the bench's to report, not the test's.
"""

from __future__ import annotations

import asyncio
import math
import pickle
import re
import socket
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
from scrapy import signals
from scrapy.utils.test import get_crawler

from bench.child import idle_share, machine_cpu
from bench.prerender import prerender
from bench.report import ROWS
from bench.server import PageServer
from scraper import ipc
from scraper.clean import ExtractionError, clean
from scraper.sites import SiteProfile, get_site
from scraper.spiders import base as base_spider
from scraper.spiders.indbiz import IndbizSpider
from scraper.standin import StandinServer, StandinSite
from scraper.standin.synthetic import CATEGORIES, synthetic_article, synthetic_articles
from scraper.worker import SOCKET_BUFFER, CleanWorker, WorkerGone
from storage import pages as stored_pages
from tests.support import python_module, run


def test_smoke_run_prints_every_row() -> None:
    result = python_module("bench", "--smoke")
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout
    for row in ROWS:
        assert f"| {row.label} |" in table, row.label
    assert "| figure | 20 articles | 60 articles | growth 20→60 | target | verdict |" in table
    idle = re.search(r"\| machine's CPU idle while newsdelta crawled [^|]*\| (\d+)% \| (\d+)% \|", table)
    assert idle and all(0 <= int(share) <= 100 for share in idle.groups()), table
    # Two rounds of the full crawl and its ceiling at each smoke size: the lower one is shown.
    assert "python -m bench --sizes 20,60 --rounds 2" in table
    assert re.search(r"\| rounds of bare, full, bare [^|]*\| 2 \| 2 \|", table), table
    shown, lowest, highest = (
        _sizes_ratios(table, label)
        for label in ("ratio newsdelta / bare (pages/s", "… ratio in the lowest round", "… in the highest round")
    )
    assert lowest == shown and all(low <= high for low, high in zip(lowest, highest, strict=True)), table


def _sizes_ratios(table: str, label: str) -> list[float]:
    """The ratios a row of the table shows for the two sizes (the growth column left out)."""
    row = next(line for line in table.splitlines() if line.startswith(f"| {label}"))
    return [float(cell.strip().rstrip("×")) for cell in row.split("|")[2:4]]


def test_the_machines_idle_share_is_read_between_a_crawls_start_and_finish() -> None:
    samples = [(0.0, 0, 0), (1.0, 50, 200), (2.0, 150, 400), (3.0, 300, 600)]
    assert idle_share(samples, 0.5, 2.5) == 0.5  # (150 - 50) / (400 - 200): the samples inside
    assert idle_share(samples, 1.0, 3.0) == 0.625  # (300 - 50) / (600 - 200)
    assert math.isnan(idle_share(samples, 0.5, 1.5))  # one sample inside: no span to read
    idle, every = machine_cpu()
    assert 0 <= idle <= every


def test_synthetic_site_is_deterministic_and_shaped_like_the_bundled_one() -> None:
    articles = list(synthetic_articles(2000))
    assert synthetic_article(1234) == articles[1234]  # any article, without generating the others
    assert len({a.slug for a in articles}) == len(articles)
    for article in articles:
        assert (
            datetime(2019, 1, 1).date() <= article.published.date() <= datetime(2024, 12, 31).date()
        )
        assert article.published.utcoffset().total_seconds() == 5.5 * 3600  # type: ignore[union-attr]
        assert set(article.categories) <= set(CATEGORIES) and article.categories
        assert 3 <= len(article.highlights) <= 4 and 4 <= len(article.body) <= 7
        assert article.title and article.summary and article.tags
    assert {c for a in articles for c in a.categories} == set(CATEGORIES)
    assert len({p for a in articles for p in a.body}) > 0.99 * sum(len(a.body) for a in articles)


def test_synthetic_pages_clean_to_their_articles() -> None:
    site = StandinSite(synthetic_articles(30))
    for article in site.articles()[:10]:
        url = f"http://127.0.0.1:8080/{article.slug}/"
        page = site.render_article(article, "http://127.0.0.1:8080").encode()
        assert 90_000 < len(page) < 120_000  # about the weight of a real IndBiz page
        document = clean(page, url, get_site("indbiz"))
        assert (document.title, document.summary) == (article.title, article.summary)
        assert list(document.body) == article.body
        assert list(document.highlights) == article.highlights
        assert document.published == article.published.date()


@pytest.fixture(scope="module")
def both_servers() -> tuple[PageServer, StandinServer]:
    site = StandinSite(synthetic_articles(45))
    with PageServer() as fast, StandinServer(site) as standin:
        fast.pages = prerender(site, fast.url)
        yield fast, standin


def _get(
    base: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            status, body, got = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, body, got = error.code, error.read(), error.headers
    kept = {name: got[name] for name in ("Content-Type", "ETag", "Last-Modified") if got[name]}
    return status, body.replace(base.encode(), b"BASE"), kept


def test_bench_server_serves_what_the_standin_serves(
    both_servers: tuple[PageServer, StandinServer],
) -> None:
    fast, standin = both_servers
    article = standin.site.articles()[7]
    paths = [
        "/robots.txt",
        "/wp-sitemap.xml",
        "/wp-sitemap-posts-post-1.xml",
        "/feed/",
        "/",
        "/page/3/",
        "/page/5/",
        "/page/6/",
        f"/{article.slug}/",
        "/no-such-article/",
    ]
    for path in paths:
        assert _get(fast.url, path) == _get(standin.url, path), path
    etag = standin.site.etag(article)
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": '"other"'},
        {"If-Modified-Since": "Tue, 01 Jan 2030 00:00:00 GMT"},
    ):
        assert _get(fast.url, f"/{article.slug}/", headers) == _get(
            standin.url, f"/{article.slug}/", headers
        ), headers
    assert fast.served.count("article", 304) == 2


# -- the speed fixes the bench led to -------------------------------------------------------------


def test_the_cleaning_worker_cleans_as_clean_does_and_says_when_it_is_gone() -> None:
    site = StandinSite(synthetic_articles(3))
    profile = get_site("indbiz")
    pages = [
        (
            f"http://127.0.0.1:8080/{a.slug}/",
            site.render_article(a, "http://127.0.0.1:8080").encode(),
        )
        for a in site.articles()
    ]

    async def scenario() -> None:
        worker = CleanWorker()
        try:
            for url, page in pages:
                got = await worker.clean(page, url, profile, content_type=None, summary_hint="")
                expected = clean(page, url, profile)
                assert (got.document, got.document.extraction) == (expected, expected.extraction)
                assert stored_pages.decompress(got.page) == page
            with pytest.raises(ExtractionError):
                await worker.clean(
                    b"<html></html>", pages[0][0], profile, content_type=None, summary_hint=""
                )
            worker._helper.process.kill()  # a crash: the crawl is told, and cleans by itself from then on
            worker._helper.process.wait()
            with pytest.raises(WorkerGone):
                await worker.clean(
                    pages[0][1], pages[0][0], profile, content_type=None, summary_hint=""
                )
        finally:
            worker.close()

    asyncio.run(scenario())


def test_the_cleaning_worker_compresses_against_a_dictionary_it_is_sent_once() -> None:
    site = StandinSite(synthetic_articles(4))
    profile = get_site("indbiz")
    base = "http://127.0.0.1:8080"
    pages = [(f"{base}/{a.slug}/", site.render_article(a, base).encode()) for a in site.articles()]
    dictionary = stored_pages.PageDictionary.of(base, pages[0][1])

    async def scenario() -> list[int]:
        worker = CleanWorker()
        sent: list[int] = []
        real_send = asyncio.get_running_loop().sock_sendall

        async def sock_sendall(sock: socket.socket, data: bytes) -> None:
            sent.append(len(data))
            await real_send(sock, data)

        asyncio.get_running_loop().sock_sendall = sock_sendall  # type: ignore[method-assign]
        try:
            for url, page in pages[1:]:
                got = await worker.clean(page, url, profile, content_type=None, summary_hint="", dictionary=dictionary)
                assert got.page_dictionary == dictionary.id
                assert stored_pages.decompress(got.page, dictionary) == page
                assert len(got.page) * 4 < len(stored_pages.compress(page))
            url, page = pages[0]
            plain = await worker.clean(page, url, profile, content_type=None, summary_hint="")
            assert plain.page_dictionary is None and stored_pages.decompress(plain.page) == page
        finally:
            worker.close()
        return sent

    sent = asyncio.run(scenario())
    # The dictionary (a whole page) goes with the first request only; later ones name it.
    assert sent[0] > len(pages[1][1]) + len(dictionary.content) and all(size < len(dictionary.content) * 1.5 for size in sent[1:])


def test_the_cleaning_worker_is_sent_each_profile_once_and_cleans_each_page_with_its_own() -> None:
    """Two profiles by turns (a `--site auto` crawl meets several): each goes whole with its
    first page only, and the worker cleans every page with the profile that page was sent with."""
    site = StandinSite(synthetic_articles(4))
    base = "http://127.0.0.1:8080"
    pages = [(f"{base}/{a.slug}/", site.render_article(a, base).encode()) for a in site.articles()]
    profiles = [get_site("indbiz"), get_site("wordpress")]
    assert clean(pages[0][1], pages[0][0], profiles[0]).extraction != clean(pages[0][1], pages[0][0], profiles[1]).extraction

    async def scenario() -> list[bytes]:
        worker = CleanWorker()
        sent: list[bytes] = []
        real_send = asyncio.get_running_loop().sock_sendall

        async def sock_sendall(sock: socket.socket, data: bytes) -> None:
            sent.append(data)
            await real_send(sock, data)

        asyncio.get_running_loop().sock_sendall = sock_sendall  # type: ignore[method-assign]
        try:
            for number, (url, page) in enumerate(pages):
                profile = profiles[number % 2]
                got = await worker.clean(page, url, profile, content_type=None, summary_hint="")
                expected = clean(page, url, profile)
                assert (got.document, got.document.extraction) == (expected, expected.extraction)
        finally:
            worker.close()
        return sent

    requests = [pickle.loads(frame[4:]) for frame in asyncio.run(scenario())]
    whole = [[part[1] for part in request if isinstance(part, tuple) and isinstance(part[1], SiteProfile)] for request in requests]
    assert whole == [[profiles[0]], [profiles[1]], [], []]


def test_a_page_cancelled_before_it_was_sent_leaves_its_dictionary_unsent() -> None:
    """A page's callback cancelled while its request waited for the socket (Scrapy cancels
    them when a crawl stops): its dictionary never reached the worker, so the next page must
    send it whole, or the worker would meet an id it does not know and die."""
    site = StandinSite(synthetic_articles(3))
    profile = get_site("indbiz")
    base = "http://127.0.0.1:8080"
    pages = [(f"{base}/{a.slug}/", site.render_article(a, base).encode()) for a in site.articles()]
    dictionary = stored_pages.PageDictionary.of(base, pages[0][1])

    async def scenario() -> None:
        worker = CleanWorker()
        try:
            await worker.clean(pages[0][1], pages[0][0], profile, content_type=None, summary_hint="")
            assert worker._sending is not None
            async with worker._sending:  # the socket busy with another page
                waiting = asyncio.create_task(
                    worker.clean(pages[1][1], pages[1][0], profile, content_type=None, summary_hint="", dictionary=dictionary)
                )
                await asyncio.sleep(0.05)
                waiting.cancel()
            url, page = pages[2]
            got = await worker.clean(page, url, profile, content_type=None, summary_hint="", dictionary=dictionary)
            assert stored_pages.decompress(got.page, dictionary) == page
        finally:
            worker.close()

    asyncio.run(scenario())


def test_the_cleaning_worker_starts_with_the_spider_and_stays_only_under_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    """Started when the spider is made, its imports run while Scrapy builds the engine (it had
    held up the first pages by ~0.25 s); at `spider_opened` it is dropped under another reactor."""
    crawler = get_crawler(settings_dict={"NEWSDELTA_CLEAN_WORKER": True})
    spider = IndbizSpider.from_crawler(crawler, base_url="https://indbiz.gov.in")  # never fetched
    worker = spider.clean_worker
    try:
        assert worker is not None and worker._helper.process.poll() is None
        monkeypatch.setattr(base_spider, "is_asyncio_reactor_installed", lambda: False)
        crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
        assert spider.clean_worker is None
        assert worker._helper.process.wait(timeout=10) == 0
    finally:
        spider.stop_clean_worker()
    assert IndbizSpider.from_crawler(get_crawler(settings_dict={"NEWSDELTA_CLEAN_WORKER": False})).clean_worker is None


def test_the_workers_socket_holds_the_pages_a_crawl_has_in_hand() -> None:
    """SOCKET_BUFFER, as far as the kernel grants it (net.core.wmem_max; Linux doubles what it
    grants): at the default two pages, the worker had often cleaned all the socket held."""
    wmem_max = int(Path("/proc/sys/net/core/wmem_max").read_text())
    worker = CleanWorker()
    try:
        assert worker._socket.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 2 * min(SOCKET_BUFFER, wmem_max)
    finally:
        worker.close()


def test_the_cleaning_worker_loads_neither_scrapy_nor_twisted() -> None:
    """What `python -m scraper.worker` imports: Scrapy would add ~27 MB to every crawl's worker."""
    code = "import sys, scraper.worker; print(sorted({name.split('.')[0] for name in sys.modules} & {'scrapy', 'twisted'}))"
    result = run(sys.executable, "-c", code)
    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr


def test_an_answer_of_the_worker_that_does_not_read_is_worker_gone_not_a_hang() -> None:
    """The crawl's side of the worker's socket, answered by this test: a frame that is no pickle."""
    profile = get_site("indbiz")

    async def scenario() -> None:
        worker = CleanWorker()
        ours, theirs = socket.socketpair()
        worker._socket.close()
        worker._socket = ours
        ours.setblocking(False)
        theirs.setblocking(False)
        try:
            asking = asyncio.ensure_future(
                worker.clean(b"<html></html>", "http://127.0.0.1:8080/a/", profile, content_type=None, summary_hint="")
            )
            await asyncio.wait_for(asyncio.get_running_loop().sock_recv(theirs, 1 << 20), timeout=10)  # the request
            await asyncio.get_running_loop().sock_sendall(theirs, ipc.frame(b"not a pickle"))
            with pytest.raises(WorkerGone, match="could not be read"):
                await asyncio.wait_for(asking, timeout=10)
            with pytest.raises(WorkerGone):  # and from then on, at once: the crawl cleans by itself
                await worker.clean(b"<html></html>", "http://127.0.0.1:8080/a/", profile, content_type=None, summary_hint="")
        finally:
            theirs.close()
            worker.close()

    asyncio.run(scenario())
