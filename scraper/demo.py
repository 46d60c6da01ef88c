"""`newsdelta demo`: the whole job on the bundled stand-in, in one command.

Serve the stand-in on 127.0.0.1, crawl all of it, change the site the way its editors would
(an article retitled with a name corrected, a new article published, one taken down), crawl
again, and show the changes the archive flagged: one new, one edited, one removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from scraper.lock import CrawlLock
from scraper.runner import CrawlOptions, run_crawl
from scraper.standin import StandinArticle, StandinServer, StandinSite
from scraper.standin.site import IST
from storage import queries
from storage.archive import Archive

SEED_SLUG = "india-strengthens-defence-ties-with-japan-south-korea"
NEW_TITLE = "India deepens defence ties with Japan and South Korea"
CORRECTED = (
    "Mr Singh visited Japan to discuss a collaboration on defence with Defence Minister of Japan, "
    "Takeshi Iwaya. The meeting highlighted the importance of the Special Strategic and Global "
    "Partnership between India and Japan in addressing regional peace, security and stability. "
    "Addressing the abrogation of Article 370, the two defence ministers touched upon the need for "
    "regional security in conflict areas. The two nations are already involved in a range of "
    "defence partnerships and capacity building."
)


#: Taken down between the two crawls: its URL answers 410 Gone, a removal at once (a 404 is
#: one only when a second check, an hour or more later, confirms it).
TAKEN_DOWN_SLUG = "tesla-to-set-up-production-facilities-in-india-and-mexico-by-2025"
PUBLISHED = StandinArticle(
    slug="india-and-uk-conclude-talks-on-a-free-trade-agreement",
    title="India and UK conclude talks on a free trade agreement",
    summary="The agreement is expected to double bilateral trade and cut tariffs on most goods.",
    published=datetime(2024, 4, 27, 10, 30, tzinfo=IST),
    categories=["Trade"],
    highlights=["Tariffs on 90 per cent of goods to fall once the agreement takes effect"],
    body=[
        "India and the United Kingdom have concluded negotiations on a free trade agreement, the "
        "Ministry of Commerce and Industry announced in New Delhi.",
        "The agreement covers goods, services and investment, and is expected to double trade "
        "between the two countries within a decade.",
    ],
)


@dataclass(frozen=True)
class DemoResult:
    base_url: str
    first: dict[str, Any]
    second: dict[str, Any]
    changes: list[dict[str, Any]]


def change_site(site: StandinSite) -> None:
    """What the site's editors do between the two crawls: an edit, a new article, a removal."""
    site.retitle(SEED_SLUG, NEW_TITLE)
    site.edit_paragraph(SEED_SLUG, 1, CORRECTED)
    site.add_article(PUBLISHED)
    site.remove_article(TAKEN_DOWN_SLUG, status=410)


def start_afresh(db: str) -> bool:
    """Remove an archive that only earlier demos wrote; True if there was one.

    The stand-in's address changes from run to run, and a full crawl rechecks every archived
    article the site no longer lists: run again into the same archive, the demo failed all
    67 of the last run's, at an address nobody serves any more. An archive with a crawl of
    any other kind is the user's own: ValueError, and it is left as it is.
    """
    if not Path(db).exists():
        return False
    with Archive.open(db, readonly=True) as archive:
        others = archive.triggers() - {"demo"}
    if others:
        raise ValueError(f"{db} holds crawls that are not the demo's ({', '.join(sorted(others))}): give the demo another --db")
    with CrawlLock(db):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    return True


def run_demo(db: str, port: int = 0, say: Callable[[str], None] = print, settings: dict[str, Any] | None = None) -> DemoResult:
    if start_afresh(db):
        say(f"{db} held only earlier demo runs: starting it afresh")
    with StandinServer(StandinSite(), port=port) as server:
        say(f"Serving the IndBiz stand-in ({len(server.site.articles())} articles) at {server.url}/")
        options = CrawlOptions(db=db, base_url=server.url, trigger="demo", settings=settings or {})
        say("\n1. Full crawl of the stand-in into " + db)
        first = run_crawl(options)
        say("\n2. Changing the stand-in as its editors would:")
        say(f"   editing   {server.article_url(SEED_SLUG)}")
        say(f"   adding    {server.article_url(PUBLISHED.slug)}")
        say(f"   removing  {server.article_url(TAKEN_DOWN_SLUG)} (410 Gone)")
        change_site(server.site)
        say("\n3. Crawling again")
        second = run_crawl(options)
    with Archive.open(db, readonly=True) as archive:
        found = queries.changes(archive, crawl_id=second["id"])
    return DemoResult(server.url, first, second, found)
