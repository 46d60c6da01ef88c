"""Re-run the current cleaner over the archive's stored pages, without fetching anything.

After a cleaner fix, stored documents can be brought up to date. What changes is recorded as
`recleaned` (a change of newsdelta's reading of the page), never as the site's edit.
"""

from __future__ import annotations

from typing import Any

from scraper.clean import ExtractionError, clean
from scraper.sites import get_site
from storage.archive import Archive, Failure, Fetched

BATCH = 100


def reclean(db: str, site: str | None = None, trigger: str = "cli") -> dict[str, Any]:
    """Re-clean every live article's latest stored page; returns the run's `crawls` row."""
    with Archive.open(db, create=False) as archive:
        crawl_id = archive.start_crawl(site=site or "all", mode="reclean", trigger=trigger)
        batch: list[Fetched] = []
        failures: list[Failure] = []
        for stored in archive.stored_pages(site):
            try:
                document = clean(stored.html, stored.url, get_site(stored.site), content_type=f"text/html; charset={stored.encoding}")
            except ExtractionError as error:
                failures.append(Failure(url=stored.url, reason=f"re-clean failed: {error}"))
                continue
            batch.append(Fetched(document, stored.page, stored.site, stored.encoding, stored.etag, stored.last_modified, stored.fetched_at))
            if len(batch) >= BATCH:
                archive.record(crawl_id, batch, origin="reclean")
                batch = []
        if batch:
            archive.record(crawl_id, batch, origin="reclean")
        if failures:
            archive.record_failures(crawl_id, failures)
        row, _ = archive.finish_crawl(crawl_id, status="ok")
        return row
