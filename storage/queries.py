"""The read side of the archive, as the CLI uses it. Every statement the CLI needs is here."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from scraper.document import Document, from_dict
from storage import pages
from storage.archive import JSON_FIELDS, Archive
from storage.diff import Change, compare
from storage.migrations import ArchiveError

_SINCE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, now: datetime | None = None) -> str:
    """"7d", "24h", "30m", "2w", or an ISO date → an ISO timestamp (UTC)."""
    now = now or datetime.now(UTC)
    if match := _SINCE.match(value.strip()):
        return (now - timedelta(**{_UNITS[match[2]]: int(match[1])})).isoformat(timespec="seconds")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--since {value!r}: use a duration like 7d, 24h, 30m, or an ISO date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


#: What `changes` lists unless asked otherwise: the flags, not held-back or re-clean records.
FLAGS = ("new", "edited", "removed", "restored")
#: The first earlier version of the article with the same content, if any: an edit undone, or a
#: site that serves two versions by turns (a headline test, caches that disagree).
SAME_AS = """(select min(earlier.version) from versions as earlier
              where earlier.article_id = versions.article_id and earlier.content_hash = versions.content_hash
                and earlier.version < versions.version) as same_as"""
#: What showed a removal: the failed fetch of the article's URL in the crawl that flagged it.
#: The address a version was fetched at (the document's URL): an article that moved has had more than one.
VERSION_URL = "json_extract(versions.meta, '$.url')"
#: That address where the article has moved since (null where it has not).
FETCHED_ELSEWHERE = f"case when {VERSION_URL} != articles.url then {VERSION_URL} end"
REMOVED_BECAUSE = """(select reason from fetch_failures
                      where fetch_failures.crawl_id = changes.crawl_id and fetch_failures.url = articles.url
                      order by fetch_failures.id desc limit 1)"""


def changes(
    archive: Archive,
    *,
    since: str | None = None,
    kind: str | None = None,
    crawl_id: int | None = None,
    site: str | None = None,
    suspect: bool = False,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Flagged changes of finished crawls, newest first, with the article's title and URL,
    and for a removal (which makes no version) `reason`, what showed it.

    `suspect=True` lists the edits and removals the mass-change guard held back instead.
    """
    kinds = ["suspect"] if suspect else [kind] if kind else list(FLAGS)
    where = [f"changes.kind in ({', '.join('?' * len(kinds))})", "crawls.status != 'running'"]
    params: list[Any] = list(kinds)
    if site:
        where.append("articles.site = ?")
        params.append(site)
    if since:
        where.append("changes.detected_at >= ?")
        params.append(parse_since(since))
    if crawl_id is not None:
        archive.crawl(crawl_id)  # a crawl that never ran is an error, not "no changes"
        where.append("changes.crawl_id = ?")
        params.append(crawl_id)
    sql = f"""
        select changes.id, changes.detected_at, changes.kind, changes.fields, changes.significance,
               changes.words_added, changes.words_removed, changes.diff, changes.crawl_id,
               articles.url, articles.title, versions.version, {SAME_AS},
               case when changes.version_id is null then {REMOVED_BECAUSE} end as reason
        from changes
        join articles on articles.id = changes.article_id
        join crawls on crawls.id = changes.crawl_id
        left join versions on versions.id = changes.version_id
        where {' and '.join(where)}
        order by changes.id desc limit ?"""
    rows = list(archive.db.query(sql, [*params, limit]))
    for row in rows:
        row["fields"] = json.loads(row["fields"] or "[]")
        row["diff"] = json.loads(row["diff"]) if row["diff"] else {}
    return rows


def _article_id(archive: Archive, url: str) -> int:
    """The article archived under `url`, or under it without its `#fragment` or with its
    trailing slash added or dropped: a URL copied from a browser's address bar finds it."""
    variants = _variants(url)
    for candidate in variants:
        row = next(archive.db.query("select id from articles where url = ?", [candidate]), None)
        if row is not None:
            return int(row["id"])
    for candidate in variants:  # an address it had before it moved (`Archive.record`)
        row = next(archive.db.query(f"select article_id from versions where {VERSION_URL} = ? order by id desc limit 1", [candidate]), None)
        if row is not None:
            return int(row["article_id"])
    raise ArchiveError(f"no article {url} in {archive.path}")


def _variants(url: str) -> list[str]:
    address = url.split("#")[0]
    return list(dict.fromkeys([url, address, address[:-1] if address.endswith("/") else f"{address}/"]))


def moved_to(archive: Archive, url: str) -> str | None:
    """Where the article archived under `url` is now, if it has moved away from `url` (its
    slug changed, or the site moved to https); None if it is still there."""
    (now_at,) = archive.db.execute("select url from articles where id = ?", [_article_id(archive, url)]).fetchone()
    return None if now_at in _variants(url) else str(now_at)


def history(archive: Archive, url: str) -> list[dict[str, Any]]:
    """An article's changes in finished crawls, oldest first: each version with what it was
    flagged as (held back as `suspect` and `recleaned` included), and its removals and returns,
    which make no version (`version` is null for a removal; `reason` says what showed it).
    `fetched_at_url` is the address a version was fetched at, when the article has moved since."""
    return list(
        archive.db.query(
            f"""select versions.version, changes.detected_at, changes.crawl_id, versions.title,
                      versions.content_hash, changes.kind, changes.fields, changes.words_added,
                      changes.words_removed, {SAME_AS},
                      {FETCHED_ELSEWHERE} as fetched_at_url,
                      case when changes.version_id is null then {REMOVED_BECAUSE} end as reason
               from changes
               join articles on articles.id = changes.article_id
               join crawls on crawls.id = changes.crawl_id
               left join versions on versions.id = changes.version_id
               where changes.article_id = ? and crawls.status != 'running' order by changes.id""",
            [_article_id(archive, url)],
        )
    )


def removal(archive: Archive, url: str) -> tuple[str, str] | None:
    """When the site removed the article and what showed it ("HTTP 410", "moved to URL"), if
    it is gone now: its last removal, as `history` tells it."""
    row = archive.db.execute(
        f"""select articles.last_changed, {REMOVED_BECAUSE}
            from articles join changes on changes.article_id = articles.id and changes.kind = 'removed'
            where articles.id = ? and articles.status = 'removed' order by changes.id desc limit 1""",
        [_article_id(archive, url)],
    ).fetchone()
    return (row[0], row[1] or "") if row else None


def versions(archive: Archive, url: str) -> list[int]:
    """The numbers of an article's versions, oldest first."""
    rows = archive.db.execute(
        "select version from versions where article_id = ? order by version", [_article_id(archive, url)]
    )
    return [version for (version,) in rows]


def document(archive: Archive, url: str, version: int | None = None) -> Document:
    """The article as archived: its latest version, or version N."""
    return _document(_version(archive, url, version))


def page(archive: Archive, url: str, version: int | None = None) -> bytes:
    """The page of the article's latest version, or of version N, as the site sent it."""
    row = _version(archive, url, version)
    if row["raw_html"] is None:
        raise ArchiveError(f"{url}: version {row['version']} has no stored page")
    dictionary = archive.dictionary(row["page_dictionary"]) if row.get("page_dictionary") else None
    return pages.decompress(row["raw_html"], dictionary)


def _version(archive: Archive, url: str, version: int | None) -> dict[str, Any]:
    article_id = _article_id(archive, url)
    sql = "select * from versions where article_id = ? "
    params: list[Any] = [article_id]
    if version is None:
        sql += "order by version desc limit 1"
    else:
        sql += "and version = ?"
        params.append(version)
    row = next(archive.db.query(sql, params), None)
    if row is None:
        raise ArchiveError(f"{url} has no version {version}")
    return row


def _document(row: dict[str, Any]) -> Document:
    data = json.loads(row["meta"] or "{}")
    for name in ("title", "summary", "published"):
        data[name] = row[name]
    for name in JSON_FIELDS:
        data[name] = json.loads(row[name] or "[]")
    data["recent"] = json.loads(row["recent"] or "[]")
    return from_dict(data)


def diff(archive: Archive, url: str, old: int | None = None, new: int | None = None) -> tuple[int, int, Change | None]:
    """The change between two versions (default: the last two)."""
    numbers = versions(archive, url)
    new = new or numbers[-1]
    old = old or max([v for v in numbers if v < new], default=new)
    before = document(archive, url, old).content()
    after = document(archive, url, new).content()
    return old, new, compare(before, after)


def failures(archive: Archive, crawl_id: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The fetches each crawl's summary counted as failed, newest first.

    `fetch_failures` keeps every failed fetch, the 410 or second 404 that removed an article
    included (the evidence for it); that one is a removal, listed by `changes`, not here, as is
    a removal the mass-change guard held back (`changes --suspect`).
    """
    if crawl_id is not None:
        archive.crawl(crawl_id)
    where = "and f.crawl_id = ?" if crawl_id is not None else ""
    params = [crawl_id] if crawl_id is not None else []
    return list(
        archive.db.query(
            f"""select f.crawl_id, f.url, f.status, f.reason, f.failed_at from fetch_failures f
                where not exists (
                    select 1 from changes c join articles a on a.id = c.article_id
                    where c.crawl_id = f.crawl_id and c.version_id is null and c.kind in ('removed', 'suspect')
                      and a.url = f.url
                ) {where}
                order by f.id desc limit ?""",
            [*params, limit],
        )
    )


def last_crawl_id(archive: Archive) -> int | None:
    row = next(archive.db.query("select max(id) as id from crawls"), None)
    return row["id"] if row else None


def holdings(archive: Archive) -> list[dict[str, Any]]:
    """What the archive holds of each site: articles live and removed, versions."""
    return list(
        archive.db.query(
            """select site, count(*) as articles, sum(status = 'live') as live, sum(status = 'removed') as removed,
                      sum(version_count) as versions
               from articles group by site order by site"""
        )
    )


def last_runs(archive: Archive) -> list[dict[str, Any]]:
    """The latest crawl of each (trigger, mode)."""
    return list(
        archive.db.query(
            "select * from crawls where id in (select max(id) from crawls group by trigger, mode) order by trigger, mode"
        )
    )
