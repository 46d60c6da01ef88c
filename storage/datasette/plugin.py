"""The newsdelta Datasette plugin: readable diffs, a version as the site's text, an Atom feed.

Registered by `newsdelta serve` (scraper/serve.py), not through an entry point, so a plain
`datasette` on some other database never meets it. It only reads: every statement runs on
Datasette's read-only connections.

Pages (all under /-/newsdelta/):
- changes/<id>         one change: its word diff with <ins>/<del>, or the new article's text
- versions/<id>        one version of an article in the site's text layout (`render_text`)
- versions/<id>/page   its page as the site sent it, sandboxed and fetching nothing
- changes.atom         the latest flags as an Atom feed (`?kind=edited` for one kind)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import sqlite_utils
from datasette import hookimpl
from datasette.database import Database
from datasette.utils.asgi import BadRequest, NotFound, Request, Response
from datasette.version import __version__ as datasette_version
from markupsafe import Markup

from scraper.document import render_text
from storage import queries
from storage.archive import Archive
from storage.datasette import feed
from storage.datasette.render import diff_html, link, parse_diff, safe_href
from storage.migrations import ArchiveError

T = TypeVar("T")

#: The plugin's key in metadata `plugins:`, and its pages' prefix.
NAME = "newsdelta"
#: What Datasette calls this plugin's package when serving its static files.
PACKAGE = "storage.datasette"
DEFAULT_DATABASE = "archive"
#: The canned query (metadata.yaml) the feed lists: one definition of "the latest flags".
FEED_QUERY = "recent_changes"
FEED_SIZE = 50

CHANGE_SQL = """
select changes.id, changes.kind, changes.fields, changes.significance, changes.words_added,
       changes.words_removed, changes.diff, changes.detected_at, changes.crawl_id,
       changes.article_id, crawls.status as crawl_status, articles.url, articles.site,
       coalesce(versions.title, articles.title) as title, versions.id as version_id,
       versions.version
from changes
join articles on articles.id = changes.article_id
left join crawls on crawls.id = changes.crawl_id
left join versions on versions.id = changes.version_id
where changes.id = :id
"""

VERSION_SQL = f"""
select versions.id, versions.article_id, versions.version, versions.title, versions.fetched_at,
       versions.crawl_id, versions.origin, versions.encoding, articles.url, articles.site,
       articles.version_count, {queries.FETCHED_ELSEWHERE} as fetched_at_url
from versions join articles on articles.id = versions.article_id
where versions.id = :id
"""

#: How an archived page is served: in a sandbox (its scripts do not run, and it has an origin of
#: its own, not Datasette's), and fetching nothing (the archive's bytes, never the live site's
#: images, styles or trackers). Its inline styles apply.
PAGE_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

NEIGHBOUR_SQL = "select id, version from versions where article_id = :article_id and version = :version"


# -- where things are ---------------------------------------------------------------------------


def archive_name(datasette: Any) -> str:
    """The archive's database name in this Datasette (metadata `plugins: newsdelta: database:`)."""
    config = datasette.plugin_config(NAME) or {}
    return str(config.get("database") or DEFAULT_DATABASE)


def _archive(datasette: Any) -> Database:
    try:
        return datasette.get_database(archive_name(datasette))
    except KeyError:
        raise NotFound(f"no archive database {archive_name(datasette)!r} in this Datasette") from None


def change_path(datasette: Any, change_id: int) -> str:
    return datasette.urls.path(f"/-/{NAME}/changes/{change_id}")


def version_path(datasette: Any, version_id: int) -> str:
    return datasette.urls.path(f"/-/{NAME}/versions/{version_id}")


def page_path(datasette: Any, version_id: int) -> str:
    return datasette.urls.path(f"/-/{NAME}/versions/{version_id}/page")


def feed_path(datasette: Any) -> str:
    return datasette.urls.path(f"/-/{NAME}/changes.atom")


# -- hooks --------------------------------------------------------------------------------------


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (rf"^/-/{NAME}/changes\.atom$", changes_feed),
        (rf"^/-/{NAME}/changes/(?P<change_id>\d+)$", change_page),
        (rf"^/-/{NAME}/versions/(?P<version_id>\d+)$", version_page),
        (rf"^/-/{NAME}/versions/(?P<version_id>\d+)/page$", archived_page),
    ]


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Markup | None:
    """Diffs as <ins>/<del>; change and version ids as links to their readable pages."""
    if database != archive_name(datasette) or value in (None, ""):
        return None
    if column == "diff" and table in ("changes", None):
        diff = parse_diff(value)
        return diff_html(diff) if diff is not None else None
    if isinstance(value, int) and ((column == "change_id" and table is None) or (column == "id" and table == "latest_changes")):
        return link(change_path(datasette, value), f"change {value}")
    if isinstance(value, int) and column == "version_id" and table is None:
        return link(version_path(datasette, value), f"version {value}")
    return None


@hookimpl
def extra_css_urls(database: str | None, datasette: Any) -> list[str]:
    """The diff colours: Datasette's reset stylesheet makes <ins>/<del> look like plain text."""
    if database not in (None, archive_name(datasette)):
        return []
    return [datasette.urls.static_plugins(PACKAGE, "newsdelta.css")]


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    database = archive_name(datasette)
    if database not in datasette.databases:
        return []
    return [
        {"href": datasette.urls.query(database, FEED_QUERY), "label": "Latest changes"},
        {"href": feed_path(datasette), "label": "Changes feed (Atom)"},
    ]


# -- pages --------------------------------------------------------------------------------------


async def _one(db: Database, sql: str, params: dict[str, Any], what: str) -> dict[str, Any]:
    row = (await db.execute(sql, params)).first()
    if row is None:
        raise NotFound(f"no {what}")
    return dict(row)


async def _version_link(datasette: Any, db: Database, article_id: int, version: int | None) -> dict[str, Any] | None:
    """{"href", "version"} of an article's version `version`, or None if there is none."""
    if not version:
        return None
    row = (await db.execute(NEIGHBOUR_SQL, {"article_id": article_id, "version": version})).first()
    return {"href": version_path(datasette, row["id"]), "version": row["version"]} if row else None


async def _read(db: Database, query: Callable[[Archive], T]) -> T:
    """`query` on the archive, through storage's own read side, on one of Datasette's
    read-only connections."""

    def run(conn: Any) -> T:
        return query(Archive(sqlite_utils.Database(conn, recursive_triggers=False), Path(db.path or "")))

    return await db.execute_fn(run)


async def _document_text(db: Database, url: str, version: int) -> str:
    """The version in the site's text layout."""
    return await _read(db, lambda archive: render_text(queries.document(archive, url, version)))


async def _archived_page(db: Database, url: str, version: int) -> bytes:
    """The version's page as the site sent it (a page is compressed against a page of its
    site: `storage.pages`)."""
    return await _read(db, lambda archive: queries.page(archive, url, version))


async def change_page(datasette: Any, request: Request) -> Response:
    db = _archive(datasette)
    change = await _one(db, CHANGE_SQL, {"id": int(request.url_vars["change_id"])}, "such change")
    diff = parse_diff(change["diff"])
    version = change["version"]
    context = {
        "change": change,
        "fields": json.loads(change["fields"] or "[]"),
        "article_href": safe_href(change["url"]),
        "diff_html": diff_html(diff) if diff else None,
        "text": await _document_text(db, change["url"], version) if change["kind"] == "new" and version else None,
        "this_version": await _version_link(datasette, db, change["article_id"], version),
        "previous_version": await _version_link(datasette, db, change["article_id"], (version or 1) - 1),
        **_page_links(datasette, db, "changes", change),
    }
    return Response.html(await datasette.render_template(f"{NAME}/change.html", context, request=request))


async def version_page(datasette: Any, request: Request) -> Response:
    db = _archive(datasette)
    version = await _one(db, VERSION_SQL, {"id": int(request.url_vars["version_id"])}, "such version")
    number = version["version"]
    context = {
        "version": version,
        "text": await _document_text(db, version["url"], number),
        "page_href": page_path(datasette, version["id"]),
        "article_href": safe_href(version["url"]),
        "previous_version": await _version_link(datasette, db, version["article_id"], number - 1),
        "next_version": await _version_link(datasette, db, version["article_id"], number + 1),
        **_page_links(datasette, db, "versions", version),
    }
    return Response.html(await datasette.render_template(f"{NAME}/version.html", context, request=request))


async def archived_page(datasette: Any, request: Request) -> Response:
    """The version's page as the site sent it (`PAGE_HEADERS` say how it is served)."""
    db = _archive(datasette)
    version = await _one(db, VERSION_SQL, {"id": int(request.url_vars["version_id"])}, "such version")
    try:
        page = await _archived_page(db, version["url"], version["version"])
    except ArchiveError as error:  # a version stored without its page
        raise NotFound(str(error)) from None
    content_type = f"text/html; charset={version['encoding'] or 'utf-8'}"
    return Response(page, content_type=content_type, headers=PAGE_HEADERS)


def _page_links(datasette: Any, db: Database, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """What every page of the plugin links to: the row itself, the article's history, the feed."""
    return {
        "row_href": datasette.urls.row(db.name, table, row["id"]),
        "history_href": _history_href(datasette, db.name, row["url"]),
        "feed_href": feed_path(datasette),
        "database": db.name,
        "datasette_version": datasette_version,
    }


def _history_href(datasette: Any, database: str, url: str) -> str:
    return f"{datasette.urls.query(database, 'article_history')}?{urlencode({'url': url})}"


# -- the feed -----------------------------------------------------------------------------------


async def changes_feed(datasette: Any, request: Request) -> Response:
    db = _archive(datasette)
    kind = request.args.get("kind", "")
    if kind and kind not in queries.FLAGS:
        raise BadRequest(f"kind must be one of {', '.join(queries.FLAGS)}")
    rows = await _feed_rows(datasette, db, request, kind)
    title = datasette.metadata("title") or "newsdelta archive"
    body = feed.atom_feed(
        title=f"{title}: {kind or 'all'} changes",
        subtitle="Articles new, edited, removed or restored, as each finished crawl flagged them.",
        self_url=datasette.absolute_url(request, request.full_path),
        alternate_url=datasette.absolute_url(request, datasette.urls.query(db.name, FEED_QUERY)),
        entries=[_entry(datasette, request, row) for row in rows],
    )
    return Response(body, content_type=feed.CONTENT_TYPE)


async def _feed_rows(datasette: Any, db: Database, request: Request, kind: str) -> list[dict[str, Any]]:
    query = await datasette.get_canned_query(db.name, FEED_QUERY, request.actor)
    if query is None:
        raise NotFound(f"the feed lists the canned query {FEED_QUERY!r}, which this Datasette's metadata lacks")
    sql = f"select * from ({query['sql']}) where :kind = '' or kind = :kind order by change_id desc limit {FEED_SIZE}"
    return [dict(row) for row in (await db.execute(sql, {"kind": kind})).rows]


def _entry(datasette: Any, request: Request, row: dict[str, Any]) -> feed.Entry:
    fields = json.loads(row["fields"] or "[]")
    diff = parse_diff(row["diff"])
    words = f" (+{row['words_added']}/-{row['words_removed']} words)" if fields else ""
    return feed.Entry(
        id=feed.entry_id(row["url"], row["change_id"], row["detected_at"]),
        title=f"{row['kind']}: {row['title']}",
        updated=row["detected_at"],
        link=datasette.absolute_url(request, change_path(datasette, row["change_id"])),
        related=safe_href(row["url"]) or "",
        summary=f"{row['kind']}{' ' + ', '.join(fields) if fields else ''}{words}: {row['url']}",
        content_html=str(diff_html(diff)) if diff else "",
    )
