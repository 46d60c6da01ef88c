"""Re-run the current cleaner over the archive's stored pages, without fetching anything.

After a cleaner fix, stored documents can be brought up to date. What changes is recorded as
`recleaned` (a change of newsdelta's reading of the page), never as the site's edit. A re-clean
is a run of the archive like a crawl: it holds the crawl lock, so a crawl starting meanwhile
waits instead of taking it for a dead run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scraper.clean import ExtractionError, clean
from scraper.lock import CrawlLock
from scraper.sites import SiteProfile, get_site
from storage.archive import Archive, Failure, Fetched

BATCH = 100


def reclean(
    db: str,
    site: str | None = None,
    trigger: str = "cli",
    lock_wait: float = 0.0,
    progress: Callable[[int], None] = lambda done: None,
) -> dict[str, Any]:
    """Re-clean every live article's latest stored page; returns the run's `crawls` row.

    `progress` is told how many pages are done after each batch (an archive of 20,000 takes
    about a minute). Raises `CrawlLocked` while another crawl runs, and `ValueError` or
    `UnknownSite`, before anything is written, for a site the archive does not hold or no
    profile reads.
    """
    with Archive.open(db, create=False) as archive, CrawlLock(db, lock_wait):
        profiles = _profiles(archive, site)
        archive.mark_dead_runs()
        crawl_id = archive.start_crawl(site=site or "all", mode="reclean", trigger=trigger)
        batch: list[Fetched] = []
        failures: list[Failure] = []
        for done, stored in enumerate(archive.stored_pages(site), start=1):
            try:
                document = clean(stored.html, stored.url, profiles[stored.site], content_type=f"text/html; charset={stored.encoding}")
            except ExtractionError as error:
                failures.append(Failure(url=stored.url, reason=f"re-clean failed: {error}"))
                continue
            batch.append(
                Fetched(
                    document, stored.page, stored.site, stored.encoding, stored.etag, stored.last_modified,
                    stored.fetched_at, stored.page_dictionary,
                )
            )
            if len(batch) >= BATCH:
                archive.record(crawl_id, batch, origin="reclean")
                batch = []
                progress(done)
        if batch:
            archive.record(crawl_id, batch, origin="reclean")
        if failures:
            archive.record_failures(crawl_id, failures)
        row, _ = archive.finish_crawl(crawl_id, status="ok")
        return row


def _profiles(archive: Archive, site: str | None) -> dict[str, SiteProfile]:
    """The profile of each site whose articles will be re-cleaned."""
    held = archive.sites()
    if site is not None and site not in held:
        holds = ", ".join(sorted(held)) or "no article"
        raise ValueError(f"{archive.path} holds no article of site {site!r} (it holds: {holds})")
    return {name: get_site(name) for name in ([site] if site else held)}
