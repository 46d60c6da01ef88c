"""Issue 3: a recheck of an unchanged stand-in of 2,000 articles fetches no article body.

The stand-in serves 2,000 synthetic articles (same templates as the bundled ones) over real
HTTP; a full crawl archives them, then `--mode recheck --all` asks for every one of them with
the validators of its fetch. The stand-in's own counters say what it answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.standin import StandinServer, StandinSite
from scraper.standin.synthetic import synthetic_articles
from tests.support import crawl, open_archive

ARTICLES = 2000


@pytest.fixture(scope="module")
def large_site() -> Iterator[StandinServer]:
    with StandinServer(StandinSite(synthetic_articles(ARTICLES))) as server:
        yield server


def _counts(db: Path) -> tuple[int, int, int]:
    with open_archive(db) as archive:
        return (
            archive.db["articles"].count,
            archive.db["versions"].count,
            archive.db["changes"].count,
        )


def _article_hits(server: StandinServer) -> dict[int, int]:
    return {status: count for (kind, status), count in server.hits.items() if kind == "article"}


def test_recheck_of_2000_unchanged_articles_is_all_304(
    large_site: StandinServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    first = crawl(large_site, db)
    assert (first["new"], first["failed"]) == (ARTICLES, 0)
    before = _counts(db)
    assert before == (ARTICLES, ARTICLES, ARTICLES)

    # Nothing is due minutes after a full crawl (published 2019-2024: weekly rechecks), so the
    # policy alone fetches no article; NEWSDELTA_RECHECK_ALL (`newsdelta crawl --all`) forces all.
    large_site.reset_hits()
    crawl(large_site, db, mode="recheck")
    assert _article_hits(large_site) == {}

    large_site.reset_hits()
    row = crawl(large_site, db, mode="recheck", NEWSDELTA_RECHECK_ALL=True)
    assert _article_hits(large_site) == {304: ARTICLES}  # every article asked once, no body sent
    assert (row["unchanged"], row["new"], row["edited"], row["failed"]) == (ARTICLES, 0, 0, 0)
    assert _counts(db) == before  # no version, no change: only `last_checked` moved
