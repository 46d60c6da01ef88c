"""The archive's schema, and the steps that bring an older archive up to it.

The schema version lives in SQLite's `PRAGMA user_version`. Each migration is a function from
version N-1 to N; `migrate` runs the missing ones in one transaction each, after a backup copy.
"""

from __future__ import annotations

import logging
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from storage import pages

SCHEMA_VERSION = 6

log = logging.getLogger("newsdelta.storage")

CONTENT_COLUMNS = {
    "title": str,
    "summary": str,
    "published": str,
    "highlights": str,  # JSON list
    "body": str,  # JSON list of paragraphs
    "categories": str,  # JSON list
}


#: The columns of `articles` in its full-text index (`articles_fts`, FTS5, porter stemming).
FTS_COLUMNS = ("title", "summary", "highlights", "body")

#: Segments of the full-text index FTS5 merges at a time: its most (migration 6 says why).
FTS_AUTOMERGE = 16

#: Re-indexes an article when the site edits it (sqlite-utils' trigger, on those columns only).
_FTS_UPDATE_TRIGGER = """
CREATE TRIGGER "articles_au" AFTER UPDATE OF {columns} ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, {columns}) VALUES('delete', old.rowid, {old});
  INSERT INTO "articles_fts" (rowid, {columns}) VALUES (new.rowid, {new});
END
""".format(
    columns=", ".join(f'"{name}"' for name in FTS_COLUMNS),
    old=", ".join(f'old."{name}"' for name in FTS_COLUMNS),
    new=", ".join(f'new."{name}"' for name in FTS_COLUMNS),
)


class ArchiveError(RuntimeError):
    """The archive cannot be used: not SQLite, from a newer newsdelta, locked, read-only…"""


def _v1(db: sqlite_utils.Database) -> None:
    db.table("crawls").create(
        {
            "id": int,
            "site": str,
            "trigger": str,  # cli / schedule / cron / demo / scrapy
            "mode": str,  # full / latest / recheck / urls
            "base_url": str,
            "started": str,
            "finished": str,
            "status": str,  # running / ok / failed / interrupted
            "new": int,
            "edited": int,
            "removed": int,
            "restored": int,
            "unchanged": int,
            "failed": int,
            "suspect": int,  # edits held back by the mass-change guard
            "recleaned": int,
            "stats": str,  # JSON: Scrapy's stats
            "error": str,  # why a run failed or did not start
        },
        pk="id",
        defaults={
            "status": "running",
            **dict.fromkeys(["new", "edited", "removed", "restored", "unchanged", "failed", "suspect", "recleaned"], 0),
        },
    )
    db.table("articles").create(
        {
            "id": int,
            "url": str,
            "site": str,
            "status": str,  # live / removed
            **CONTENT_COLUMNS,
            "content_hash": str,
            "version_count": int,
            "first_seen": str,
            "last_seen": str,
            "last_checked": str,
            "last_changed": str,
            "etag": str,
            "last_modified": str,
            "gone_since": str,  # first of the consecutive 404s that may make it `removed`
        },
        pk="id",
        not_null={"url", "status", "content_hash"},
        defaults={"status": "live", "version_count": 1},
    )
    db.table("articles").create_index(["url"], unique=True)
    db.table("versions").create(
        {
            "id": int,
            "article_id": int,
            "version": int,
            **CONTENT_COLUMNS,
            "recent": str,  # JSON: the page's Recent Articles, context only
            "meta": str,  # JSON: url, modified, tags, author, images, language, extraction
            "content_hash": str,
            "crawl_id": int,
            "fetched_at": str,
            "raw_html": bytes,  # the page as fetched, compressed (storage/pages.py)
            "encoding": str,
            "origin": str,  # crawl / reclean
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("crawl_id", "crawls", "id")],
        not_null={"article_id", "version", "content_hash"},
    )
    db.table("versions").create_index(["article_id", "version"], unique=True)
    db.table("changes").create(
        {
            "id": int,
            "article_id": int,
            "version_id": int,
            "crawl_id": int,
            "kind": str,  # new / edited / removed / restored / suspect / recleaned
            "fields": str,  # JSON list of changed content fields
            "significance": str,  # substantive / cosmetic (edits only)
            "words_added": int,
            "words_removed": int,
            "diff": str,  # JSON {field: [[op, text], …]}
            "detected_at": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("version_id", "versions", "id"), ("crawl_id", "crawls", "id")],
        not_null={"article_id", "kind"},
    )
    db.table("changes").create_index(["crawl_id"])
    db.table("changes").create_index(["article_id"])
    db.table("changes").create_index(["detected_at"])
    db.table("changes").create_index(["kind"])
    db.table("fetch_failures").create(
        {"id": int, "crawl_id": int, "url": str, "status": int, "reason": str, "failed_at": str},
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id")],
    )
    db.table("fetch_failures").create_index(["crawl_id"])
    db.table("fetch_failures").create_index(["url"])
    db.table("articles").enable_fts(list(FTS_COLUMNS), create_triggers=True, tokenize="porter")
    db.create_view(
        "latest_changes",
        """
        select changes.id, changes.detected_at, changes.kind, articles.title, articles.url,
               changes.fields, changes.significance, changes.words_added, changes.words_removed,
               changes.crawl_id, versions.version
        from changes
        join articles on articles.id = changes.article_id
        join crawls on crawls.id = changes.crawl_id
        left join versions on versions.id = changes.version_id
        where changes.kind in ('new', 'edited', 'removed', 'restored') and crawls.status != 'running'
        order by changes.id desc
        """,
    )


def _v2(db: sqlite_utils.Database, chunk: int = 500) -> None:
    """Stored pages: zlib (level 6) → Zstandard, so every page is read one way.

    A chunk of versions at a time, by id, so memory stays flat however large the archive.
    """
    ids = [row[0] for row in db.execute("select id from versions where raw_html is not null order by id")]
    for first in range(0, len(ids), chunk):
        rows = db.execute(
            "select id, raw_html from versions where id between ? and ? and raw_html is not null",
            [ids[first], ids[min(first + chunk, len(ids)) - 1]],
        ).fetchall()
        db.conn.executemany(
            "update versions set raw_html = ? where id = ?",
            [(pages.compress(zlib.decompress(raw)), version_id) for version_id, raw in rows],
        )


def _v3(db: sqlite_utils.Database) -> None:
    """The full-text index: new articles indexed once per batch, not by a trigger per row.

    SQLite's FTS5 (3.40, Debian 12's) writes its pending terms out at the end of every
    statement that changes the index, so sqlite-utils' insert trigger wrote a segment per
    article, then merged them again and again: a third of the archive writer's instructions
    (callgrind, bench/README.md). Its update trigger also re-indexed an article whenever any
    column changed: `last_checked` after every 304 of a recheck. Now `Archive.record` indexes
    a batch's new articles in one statement, the update trigger fires only when an indexed
    column changes (an edit), and the delete trigger stays as it was.
    """
    db.execute('DROP TRIGGER IF EXISTS "articles_ai"')
    db.execute('DROP TRIGGER IF EXISTS "articles_au"')
    db.execute(_FTS_UPDATE_TRIGGER)


def _v4(db: sqlite_utils.Database) -> None:
    """`articles.post_id`: the site's own id of an article (WordPress' post ID), which stays
    when the article's slug or the site's permalinks change, so its row and history follow
    it to the new address (`Archive.record`).

    Filled as each article is next fetched, or at once from the stored pages by `newsdelta
    reclean` (the archive does not clean pages itself).
    """
    if "post_id" not in db.table("articles").columns_dict:
        db.table("articles").add_column("post_id", str)
    db.table("articles").create_index(["post_id"], if_not_exists=True)


def _v5(db: sqlite_utils.Database) -> None:
    """Stored pages compressed against a page of their site (`storage.pages.PageDictionary`):
    `page_dictionaries` holds those pages, and `versions.page_dictionary` names the one a
    version's `raw_html` needs (null: compressed on its own, as every page stored before).

    A dictionary is written in the transaction of the first version that needs it, and never
    deleted: the foreign key keeps a stored page from losing it.
    """
    db.table("page_dictionaries").create(
        {
            "id": str,  # the SHA-256 of `content`
            "base_url": str,  # the site whose page it is (the crawl's base URL)
            "created": str,
            "content": bytes,  # a page as fetched, uncompressed: `zstd -d -D` reads it as it is
        },
        pk="id",
        not_null={"base_url", "created", "content"},
        if_not_exists=True,
    )
    db.table("page_dictionaries").create_index(["base_url", "created"], if_not_exists=True)
    if "page_dictionary" not in db.table("versions").columns_dict:
        # ALTER TABLE, not sqlite-utils' `add_column(fk=…)`: it copies the table, every stored
        # page of it, to add the key (`transform`).
        db.execute("alter table versions add column page_dictionary text references page_dictionaries(id)")


def _v6(db: sqlite_utils.Database) -> None:
    """The full-text index merges its segments sixteen at a time, not four (FTS5's 'automerge').

    Each batch's commit writes the index a new segment; FTS5 merges a level's segments once it
    holds `automerge` of them, so at four every indexed word is rewritten once per fourfold
    growth of the archive, and at sixteen (FTS5's most) half as often: 30% of the index's
    instructions while writing 20,000 articles, 9% of the writer's (callgrind,
    bench/README.md). A search then reads up to 15 segments a level, not 3: on 20,000
    articles a rare word's lookup took 41 µs instead of 16, a common word ranked 11-15 ms
    either way. The option is kept in the index (`articles_fts_config`), so it holds for
    every writer.
    """
    db.execute("insert into articles_fts (articles_fts, rank) values ('automerge', ?)", [FTS_AUTOMERGE])


MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {1: _v1, 2: _v2, 3: _v3, 4: _v4, 5: _v5, 6: _v6}


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database, path: Path | None = None) -> None:
    """Bring `db` to SCHEMA_VERSION. A newer archive is refused and left untouched."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise ArchiveError(
            f"archive schema version {current} is newer than this newsdelta understands "
            f"({SCHEMA_VERSION}): upgrade newsdelta"
        )
    if current == SCHEMA_VERSION:
        return
    if current > 0 and path is not None:
        backup = path.with_name(f"{path.name}.v{current}.bak")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(path, backup)
        # A warning, so it shows without any logging set up: on a large archive this takes a
        # while (migration 2 recompresses every stored page: ~10 s for 20,000 versions).
        log.warning("%s: upgrading the archive from schema %d to %d (backup: %s)", path, current, SCHEMA_VERSION, backup.name)
    if current == 0 and db.table_names():
        raise ArchiveError("not a newsdelta archive: it holds tables but no schema version")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with db.conn:
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version}")
