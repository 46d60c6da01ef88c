"""The archive: every distinct version of every article, and what each crawl found changed.

One writer (the crawl), any number of readers (CLI, Datasette): SQLite in WAL mode. A batch of
fetched documents is classified with one set-based query and written in one transaction, so a
version never exists without its change, nor a change without its version, whatever kills the
process.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlite_utils

from scraper.document import CONTENT_FIELDS, LISTED, Document, content_fields, to_dict
from storage import pages
from storage.diff import compare, encode_fields, hash_of_fields, normalise_content
from storage.migrations import FTS_COLUMNS, SCHEMA_VERSION, ArchiveError, migrate, schema_version
from storage.pages import PageDictionary

BUSY_TIMEOUT_S = 15.0
#: SQLite's page cache for the crawl's archive writer, in MB (`Archive.open(cache_mb=...)`;
#: SQLite's default is 2 MB). A batch of 100 new versions dirties ~5 MB of pages: in 2 MB
#: SQLite spilled them to the WAL before the commit and wrote many twice, and read again the
#: index pages the next batch needed. At 32 MB, 20,000 new articles took 3.7 fewer page
#: writes and 3.7 fewer page reads a version, ~20 µs of a ~450 µs write (bench/README.md,
#: tenth round). Other connections keep the default: what they read, they read once.
WRITER_CACHE_MB = 32
JSON_FIELDS = ("highlights", "body", "categories")
#: Statuses that remove an article at the first sight: 410 Gone, and a permanent redirect to
#: another article (its slug changed); a 404 needs a second sight (`record_failures`).
GONE_AT_ONCE = (301, 308, 410)

#: The articles whose removal the mass-change guard held back in crawl `?`.
HELD_REMOVALS = "select article_id from changes where crawl_id = ? and kind = 'suspect' and version_id is null"
#: When an article last changed, by the changes that count: its versions and its removals.
LAST_CHANGE = """select max(detected_at) from changes
                 where changes.article_id = articles.id and (changes.version_id is not null or changes.kind = 'removed')"""

#: JSON for the archive's text columns, readable as it is in SQL and Datasette (no \u escapes).
#: One encoder for every write: `json.dumps` with options builds a new one per call.
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


#: What classifying a fetched article needs of its row (`Archive._current`).
_CURRENT_COLUMNS = "id, url, status, content_hash, version_count, gone_since, post_id"


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Fetched:
    """A document as fetched in a crawl, with what is needed to recheck and re-clean it."""

    document: Document
    #: The raw page as the archive stores it (`storage.pages.compress`). It is compressed where
    #: it was fetched, so what reaches the archive's writer is ~1-12 KB a page, not ~100.
    page: bytes
    site: str
    encoding: str = "utf-8"
    etag: str = ""
    last_modified: str = ""
    fetched_at: str = ""
    #: What `page` was compressed against; stored with the first version that needs it.
    page_dictionary: PageDictionary | None = None


@dataclass(frozen=True)
class Failure:
    url: str
    reason: str
    status: int | None = None
    failed_at: str = ""
    #: The URL said the article is gone (404, 410, a redirect to a page that is no article).
    gone: bool = False


@dataclass(frozen=True)
class Outcome:
    url: str
    kind: str  # new / edited / unchanged / restored / recleaned
    fields: tuple[str, ...] = ()
    #: The address the article's row had until this fetch moved it here (`Archive.record`).
    moved_from: str = ""


@dataclass(frozen=True)
class Known:
    """What a crawl needs to know of the archive before it starts."""

    urls: frozenset[str] = frozenset()
    live: frozenset[str] = frozenset()
    #: Live URL → when it was last checked (ISO), for sitemap `lastmod` comparisons.
    last_checked: dict[str, str] = field(default_factory=dict)
    #: Live URL → its post id (`Document.post_id`), where the archive knows it.
    post_ids: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Due:
    """An article due for a recheck, with the validators of its last fetch."""

    url: str
    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class StoredPage:
    """An article's latest page as it was fetched, for re-cleaning without re-crawling."""

    url: str
    site: str
    #: The page as stored (`storage.pages.compress`): a re-clean stores it again as it is.
    page: bytes
    encoding: str
    etag: str
    last_modified: str
    fetched_at: str
    page_dictionary: PageDictionary | None = None

    @property
    def html(self) -> bytes:
        return pages.decompress(self.page, self.page_dictionary)


@dataclass(frozen=True)
class RecheckPolicy:
    """How often an article is rechecked: by age, more often the more it has been edited.

    The interval for its age is halved for each edit it has had (at most three times).
    """

    first_day_hours: float = 1
    first_month_hours: float = 24
    older_hours: float = 24 * 7


@dataclass(frozen=True)
class MassChangeGuard:
    """Too many articles edited in the same fields in one crawl: a redesign, not journalism.
    Too many removed in one crawl: the site blocking the crawler, down behind a redirect, or
    moved to new addresses, not journalism either."""

    share: float = 0.3
    min_articles: int = 5


@dataclass(frozen=True)
class HeldBack:
    """What the mass-change guard held back in a crawl: edits in the same `fields`, or removals."""

    fields: tuple[str, ...]
    count: int
    checked: int
    kind: str = "edited"


@contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    """SQLite's errors as one line that names the file and what to do."""
    try:
        yield
    except sqlite3.DatabaseError as error:
        message = str(error)
        if "locked" in message or "busy" in message:
            raise ArchiveError(f"{path}: the archive is locked by another process ({message})") from error
        if "not a database" in message or "malformed" in message:
            raise ArchiveError(f"{path}: not a newsdelta archive (not an SQLite database, or damaged)") from error
        if "readonly" in message or "read-only" in message:
            raise ArchiveError(f"{path}: the archive is read-only") from error
        if "full" in message:
            raise ArchiveError(f"{path}: the disk (or the archive's size limit) is full: nothing more was written") from error
        raise ArchiveError(f"{path}: {message}") from error


def _row_content(row: dict[str, Any]) -> dict[str, Any]:
    """An `articles`/`versions` row's content fields, JSON columns decoded."""
    return {name: json.loads(row[name] or "[]") if name in JSON_FIELDS else row[name] for name in CONTENT_FIELDS}


class _Converted:
    """A fetched document converted once: `record` hashes it, and may write it in two rows."""

    def __init__(self, document: Document) -> None:
        self.data = to_dict(document)
        self.content = content_fields(self.data)
        self._normalised = normalise_content(self.content)
        self._encoded = encode_fields(self._normalised)
        self.digest = hash_of_fields(self._encoded)

    @cached_property
    def columns(self) -> dict[str, Any]:
        """The content fields as the `articles` and `versions` columns hold them."""
        return {name: self._json(name) if name in JSON_FIELDS else self.content[name] for name in CONTENT_FIELDS}

    def _json(self, name: str) -> str:
        """A JSON column as it was fetched. The cleaner normalises what it extracts, so this is
        almost always the JSON the content hash wrote already: a list of strings, which the
        hash's encoder writes as `_encode_json` does (its sorted keys sort no dict)."""
        if self._normalised[name] == self.content[name]:
            return self._encoded[name]
        return _encode_json(self.content[name])


class Archive:
    """An open archive file. Use `Archive.open(path)`; close it, or use it as a context manager."""

    def __init__(self, db: sqlite_utils.Database, path: Path) -> None:
        self.db = db
        self.path = path
        #: (crawl id, the URLs that answered at their own address in it so far): `_renamed_posts`.
        self._answered: tuple[int, set[str]] = (0, set())
        #: The page dictionaries stored in the transaction `record` is in (`_store_dictionary`).
        self._dictionaries_stored: set[str] = set()

    @classmethod
    def open(
        cls, path: str | Path, *, create: bool = True, readonly: bool = False, max_mb: float = 0, cache_mb: int = 0
    ) -> Archive:
        """Open (and create or migrate) the archive at `path`.

        `max_mb` caps the file's size: past it, writes fail as on a full disk, cleanly.
        `cache_mb` sets SQLite's page cache (0: SQLite's default), as `WRITER_CACHE_MB` says.
        """
        path = Path(path)
        if path.is_dir():
            raise ArchiveError(f"{path}: a folder, not an archive file")
        if not path.exists() and (readonly or not create):
            raise ArchiveError(f"{path}: no archive here (run `newsdelta crawl` or `newsdelta demo` first)")
        if path.exists():
            _check_whole(path)
        with _sqlite_errors(path):
            if readonly:
                conn = _connect_readonly(path)
            else:
                conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            try:
                db = sqlite_utils.Database(conn)
                if cache_mb:
                    db.execute(f"PRAGMA cache_size = -{int(cache_mb) * 1024}")
                if not readonly:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("PRAGMA synchronous=NORMAL")
                    db.execute("PRAGMA foreign_keys=ON")
                    migrate(db, path)
                    if max_mb:
                        page_size = db.execute("PRAGMA page_size").fetchone()[0]
                        db.execute(f"PRAGMA max_page_count = {int(max_mb * 1024 * 1024 / page_size)}")
                else:
                    _check_readable(db, path)
            except BaseException:
                conn.close()
                raise
        return cls(db, path)

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with _sqlite_errors(self.path):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self.db.conn.in_transaction:  # SQLite has already rolled back after "disk full"
                    self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # -- crawls ---------------------------------------------------------------------------------

    def start_crawl(self, *, site: str, mode: str, trigger: str, base_url: str = "") -> int:
        with self._transaction():
            cursor = self.db.execute(
                "insert into crawls (site, trigger, mode, base_url, started, status) values (?, ?, ?, ?, ?, 'running')",
                [site, trigger, mode, base_url, utcnow()],
            )
        return _row_id(cursor)

    def finish_crawl(
        self,
        crawl_id: int,
        *,
        status: str,
        stats: dict[str, Any] | None = None,
        guard: MassChangeGuard | None = None,
        error: str = "",
    ) -> tuple[dict[str, Any], list[HeldBack]]:
        """Close the crawl's row; first hold back mass edits and removals as `suspect` (see
        MassChangeGuard)."""
        with self._transaction():
            held = self._hold_mass_changes(crawl_id, guard) if guard else []
            self.db.execute(
                "update crawls set status = ?, finished = ?, stats = ?, error = ? where id = ?",
                [status, utcnow(), json.dumps(stats or {}, default=str), error or None, crawl_id],
            )
        return self.crawl(crawl_id), held

    def _hold_mass_changes(self, crawl_id: int, guard: MassChangeGuard) -> list[HeldBack]:
        crawl = self.crawl(crawl_id)
        checked = crawl["new"] + crawl["edited"] + crawl["unchanged"] + crawl["restored"]
        held = self._hold_mass_edits(crawl_id, guard, checked)
        if removals := self._hold_mass_removals(crawl_id, guard, checked + crawl["removed"]):
            held.append(removals)
        return held

    def _hold_mass_edits(self, crawl_id: int, guard: MassChangeGuard, checked: int) -> list[HeldBack]:
        groups = self.db.execute(
            "select fields, count(*) from changes where crawl_id = ? and kind = 'edited' group by fields", [crawl_id]
        ).fetchall()
        held = []
        for fields, count in groups:
            if count >= guard.min_articles and count > guard.share * checked:
                self.db.execute(
                    "update changes set kind = 'suspect' where crawl_id = ? and kind = 'edited' and fields = ?",
                    [crawl_id, fields],
                )
                held.append(HeldBack(tuple(json.loads(fields)), count, checked))
        total = sum(h.count for h in held)
        if total:
            self.db.execute(
                "update crawls set edited = edited - ?, suspect = suspect + ? where id = ?", [total, total, crawl_id]
            )
        return held

    def _hold_mass_removals(self, crawl_id: int, guard: MassChangeGuard, checked: int) -> HeldBack | None:
        """Undo the crawl's removals if there are too many: the articles are live again, their
        `gone_since` kept (a read of the article clears it), and each removal is a `suspect`
        change (no version) that `accept` can still make a removal."""
        count = self.db.execute(
            "select count(*) from changes where crawl_id = ? and kind = 'removed'", [crawl_id]
        ).fetchone()[0]
        if count < guard.min_articles or count <= guard.share * checked:
            return None
        self.db.execute("update changes set kind = 'suspect' where crawl_id = ? and kind = 'removed'", [crawl_id])
        self.db.execute(
            f"""update articles set status = 'live', gone_since = coalesce(gone_since, last_changed),
                       last_changed = ({LAST_CHANGE})
                where id in ({HELD_REMOVALS})""",
            [crawl_id],
        )
        self.db.execute(
            "update crawls set removed = removed - ?, suspect = suspect + ? where id = ?", [count, count, crawl_id]
        )
        return HeldBack((), count, checked, kind="removed")

    def accept(self, crawl_id: int) -> tuple[int, int]:
        """Accept what the mass-change guard held back in a crawl after all: its suspect edits
        as edits, its suspect removals as removals. A held-back removal of an article read
        since (the site came back) stays suspect. Returns (edits, removals) accepted."""
        self.crawl(crawl_id)
        with self._transaction():
            edits = self.db.execute(
                "update changes set kind = 'edited' where crawl_id = ? and kind = 'suspect' and version_id is not null",
                [crawl_id],
            ).rowcount
            still_gone = [
                article_id
                for (article_id,) in self.db.execute(
                    f"select id from articles where id in ({HELD_REMOVALS}) and status = 'live' and gone_since is not null",
                    [crawl_id],
                )
            ]
            removals = self.db.execute(
                """update changes set kind = 'removed' where crawl_id = ? and kind = 'suspect' and version_id is null
                   and article_id in (select value from json_each(?))""",
                [crawl_id, json.dumps(still_gone)],
            ).rowcount
            self.db.execute(
                """update articles set status = 'removed', last_changed = (
                       select detected_at from changes where article_id = articles.id and crawl_id = ? and kind = 'removed')
                   where id in (select value from json_each(?))""",
                [crawl_id, json.dumps(still_gone)],
            )
            self.db.execute(
                "update crawls set edited = edited + ?, removed = removed + ?, suspect = suspect - ? where id = ?",
                [edits, removals, edits + removals, crawl_id],
            )
        return edits, removals

    def mark_dead_runs(self) -> int:
        """Crawls still `running` while we hold the crawl lock died without closing: say so."""
        with self._transaction():
            return self.db.execute(
                "update crawls set status = 'interrupted', finished = ?, error = 'the crawl process died' "
                "where status = 'running'",
                [utcnow()],
            ).rowcount

    def record_failed_run(self, *, site: str, mode: str, trigger: str, error: str, base_url: str = "") -> int:
        """A run that never got to crawl (locked out, crashed at start): its row says why."""
        now = utcnow()
        with self._transaction():
            cursor = self.db.execute(
                """insert into crawls (site, trigger, mode, base_url, started, finished, status, error)
                   values (?, ?, ?, ?, ?, ?, 'failed', ?)""",
                [site, trigger, mode, base_url, now, now, error],
            )
        return _row_id(cursor)

    def crawl(self, crawl_id: int) -> dict[str, Any]:
        """The crawl's row; `ArchiveError` for a crawl the archive never ran."""
        row = next(self.db.query("select * from crawls where id = ?", [crawl_id]), None)
        if row is None:
            raise ArchiveError(f"no crawl {crawl_id} in {self.path}")
        return row

    def sites(self) -> set[str]:
        """The site profiles the archive's articles were crawled with."""
        return {site for (site,) in self.db.execute("select distinct site from articles")}

    def triggers(self) -> set[str]:
        """What started the archive's crawls: cli, cron, schedule, scrapy, demo."""
        return {trigger for (trigger,) in self.db.execute("select distinct trigger from crawls")}

    # -- writing what a crawl fetched -----------------------------------------------------------

    def record(self, crawl_id: int, batch: Sequence[Fetched], *, origin: str = "crawl") -> list[Outcome]:
        """Classify and store a batch of fetched documents in one transaction.

        `origin="reclean"` records what re-cleaning stored pages changed as `recleaned`, never
        as the site's edit.
        """
        latest = {item.document.url: item for item in batch}  # one URL once per batch
        outcomes: list[Outcome] = []
        with self._transaction():
            self._dictionaries_stored.clear()
            known = self._current(list(latest))
            known.update(self._moved_home([url for url in latest if url not in known]))
            answered = self._answered_in(crawl_id)
            answered.update(url for url in latest if url in known)  # before any row moves
            known.update(self._renamed_posts({url: item for url, item in latest.items() if url not in known}, answered))
            for url, item in latest.items():
                row = known.get(url)
                outcome = self._record_one(crawl_id, self._keeping_listed_summary(item, row), row, origin)
                if row and row.get("moved_from"):
                    outcome = replace(outcome, moved_from=row["moved_from"])
                outcomes.append(outcome)
            answered.update(latest)
            self._index_new([outcome.url for outcome in outcomes if outcome.kind == "new"])
            counts = Counter(outcome.kind for outcome in outcomes)
            self.db.execute(
                """update crawls set new = new + ?, edited = edited + ?, unchanged = unchanged + ?,
                   restored = restored + ?, recleaned = recleaned + ? where id = ?""",
                [counts["new"], counts["edited"], counts["unchanged"], counts["restored"], counts["recleaned"], crawl_id],
            )
        return outcomes

    def _moved_home(self, urls: list[str]) -> dict[str, dict[str, Any]]:
        """The articles among `urls` (new to the archive) that it holds under the same address
        on another scheme or host of the site: `http://` for `https://`, `example.com` for
        `www.example.com`. A site that moved there keeps its articles: each row takes its new
        URL, and is then classified as any fetch of it is. Looked up only where the archive
        holds another scheme or host at all, so a crawl of a site that never moved pays nothing.
        """
        origins = self._origins
        twins = {
            twin: url
            for url in urls
            if len(origins) > (_origin(url) in origins)  # the archive holds another scheme or host
            for twin in _twins(url)
            if _origin(twin) in origins
        }
        found: dict[str, dict[str, Any]] = {}
        for twin, row in self._current(list(twins)).items() if twins else ():
            url = twins[twin]
            if url not in found:
                found[url] = self._rename(row, url)
        return found

    def _renamed_posts(self, fetched: dict[str, Fetched], answered: set[str]) -> dict[str, dict[str, Any]]:
        """The articles among `fetched` (new to the archive) that it holds under another address
        of the same site with the same post id (`Document.post_id`): an editor changed the slug,
        or the site its permalinks. Each row takes its new URL and keeps its history, and is
        then classified as any fetch of it is (the new slug often comes with a new headline:
        an edit of the title, not a removal and a new article).

        Only where exactly one article of the site's scheme and host (or its twins) has that
        id, and its own address has not `answered` in this crawl: a site that serves one post
        at two addresses would otherwise move the row back and forth, crawl after crawl.
        """
        wanted = {url: item.document.post_id for url, item in fetched.items() if item.document.post_id}
        if not wanted:
            return {}
        holders: dict[str, list[dict[str, Any]]] = {}
        for row in self.db.query(
            f"""select {_CURRENT_COLUMNS}, site from articles
                where post_id in (select value from json_each(?))""",
            [json.dumps(sorted(set(wanted.values())))],
        ):
            holders.setdefault(row["post_id"], []).append(row)
        found: dict[str, dict[str, Any]] = {}
        for url, post_id in wanted.items():
            rows = [row for row in holders.get(post_id, ()) if row["site"] == fetched[url].site and same_site(url, row["url"])]
            if len(rows) == 1 and rows[0]["url"] not in answered:
                found[url] = self._rename(rows[0], url)
                holders[post_id].remove(rows[0])
        return found

    def _answered_in(self, crawl_id: int) -> set[str]:
        """The URLs that answered at their own address in crawl `crawl_id` so far (`record`,
        `touch`): one crawl's worth, as a crawl's writer records one crawl."""
        if self._answered[0] != crawl_id:
            self._answered = (crawl_id, set())
        return self._answered[1]

    def _rename(self, row: dict[str, Any], url: str) -> dict[str, Any]:
        """The article moves to `url`; its history goes with it (versions keep where each was fetched)."""
        self.db.execute("update articles set url = ? where id = ?", [url, row["id"]])
        self._note_origin(url)
        return {**row, "url": url, "moved_from": row["url"]}

    def _note_origin(self, url: str) -> None:
        if "_origins" in self.__dict__:  # read already: keep it whole
            self._origins.add(_origin(url))

    @cached_property
    def _origins(self) -> set[str]:
        """The schemes and hosts (`https://example.com`) of the archive's articles: read once,
        then kept as articles are added (`_insert_article`)."""
        return {_origin(url) for (url,) in self.db.execute("select url from articles")}

    def touch(
        self, crawl_id: int, urls: Sequence[str], checked_at: str = "", *, answered_at: dict[str, str] | None = None
    ) -> int:
        """Articles that answered 304 Not Modified: only `last_checked` moves. Returns how many
        of them moved to another address.

        `answered_at`: for a URL whose 304 came from another address after a redirect, that
        address. When it is the same address on another scheme or host (the site moved to
        https, say), the article takes it as its URL, as `record` does for a page fetched there.
        """
        moved = {url: there for url, there in (answered_at or {}).items() if there in _twins(url)}
        took: dict[str, dict[str, Any]] = {}
        with self._transaction():
            if moved:
                held = self._current(list(moved.values()))  # a row of its own already: left as it is
                took = self._moved_home([there for there in moved.values() if there not in held])
                urls = [moved[url] if moved.get(url) in took else url for url in urls]
            self.db.execute(
                "update articles set last_checked = ?, gone_since = null where url in (select value from json_each(?))",
                [checked_at or utcnow(), json.dumps(list(urls))],
            )
            self.db.execute("update crawls set unchanged = unchanged + ? where id = ?", [len(urls), crawl_id])
        self._answered_in(crawl_id).update(urls)
        return len(took)

    def record_failures(self, crawl_id: int, failures: Sequence[Failure], *, confirm_after_s: float = 3600) -> int:
        """Record failed fetches; returns how many articles they show `removed`.

        A failure is a fact about a fetch, never an edit. It makes a removal only when the URL
        said the article is gone: 410 or a permanent redirect to another article (`GONE_AT_ONCE`)
        at once; 404 (or a redirect to a non-article) on two consecutive checks at least
        `confirm_after_s` apart. Anything else (timeouts, 5xx, error pages, empty extractions)
        never touches the article.
        """
        removed = 0
        with self._transaction():
            self.db.conn.executemany(
                "insert into fetch_failures (crawl_id, url, status, reason, failed_at) values (?, ?, ?, ?, ?)",
                [(crawl_id, f.url, f.status, f.reason, f.failed_at or utcnow()) for f in failures],
            )
            gone = [f for f in failures if f.gone]
            known = self._current([f.url for f in gone]) if gone else {}
            for failure in gone:
                row = known.get(failure.url)
                if row is not None and row["status"] == "live":
                    removed += self._gone(crawl_id, row, failure, confirm_after_s)
            self.db.execute(
                "update crawls set failed = failed + ?, removed = removed + ? where id = ?",
                [len(failures) - removed, removed, crawl_id],
            )
        return removed

    def _gone(self, crawl_id: int, row: dict[str, Any], failure: Failure, confirm_after_s: float) -> int:
        now = failure.failed_at or utcnow()
        since = row["gone_since"]
        confirmed = failure.status in GONE_AT_ONCE or (since and _seconds_between(since, now) >= confirm_after_s)
        if not confirmed:
            self.db.execute(
                "update articles set gone_since = coalesce(gone_since, ?), last_checked = ? where id = ?",
                [now, now, row["id"]],
            )
            return 0
        self.db.execute(
            "update articles set status = 'removed', last_checked = ?, last_changed = ? where id = ?",
            [now, now, row["id"]],
        )
        self._insert_change(row["id"], None, crawl_id, "removed", now)
        return 1

    def _index_new(self, urls: list[str]) -> None:
        """Add new articles to the full-text index, all in one statement (migration 3 says why).

        Edits are re-indexed by the `articles_au` trigger.
        """
        if urls:
            columns = ", ".join(FTS_COLUMNS)
            self.db.execute(
                f"""insert into articles_fts (rowid, {columns}) select id, {columns} from articles
                    where url in (select value from json_each(?))""",
                [json.dumps(urls)],
            )

    def _current(self, urls: list[str]) -> dict[str, dict[str, Any]]:
        """What classifying needs of the known articles among `urls`, in one query.

        Not their content: only an edit needs that (`_stored_content`), and reading every
        article's body to find the few that changed was 40% of the lookup.
        """
        rows = self.db.query(
            f"select {_CURRENT_COLUMNS} from articles where url in (select value from json_each(?))", [json.dumps(urls)]
        )
        return {row["url"]: row for row in rows}

    def _keeping_listed_summary(self, item: Fetched, row: dict[str, Any] | None) -> Fetched:
        """`item`, with the summary its article's latest version took from a listing or feed
        when the page shows none and none came with it this time.

        Many WordPress pages carry no summary; the listing or feed entry that linked to one
        does (`clean`'s `summary_hint`). A recheck, a sitemap's link or a re-clean brings no
        such entry: without this, each would record the summary's loss as the site's edit.
        """
        document = item.document
        if row is None or document.summary or "summary" in document.extraction:
            return item
        latest = self.db.execute(
            """select summary, json_extract(meta, '$.extraction.summary') from versions
               where article_id = ? order by version desc limit 1""",
            [row["id"]],
        ).fetchone()
        summary, source = latest or ("", None)
        if source != LISTED or not summary:
            return item
        extraction = {**document.extraction, "summary": LISTED}
        return replace(item, document=replace(document, summary=summary, extraction=extraction))

    def _stored_content(self, article_id: int) -> dict[str, Any]:
        columns = ", ".join(CONTENT_FIELDS)
        row = next(self.db.query(f"select {columns} from articles where id = ?", [article_id]))
        return _row_content(row)

    def _record_one(self, crawl_id: int, item: Fetched, row: dict[str, Any] | None, origin: str) -> Outcome:
        url = item.document.url
        converted = _Converted(item.document)
        digest = converted.digest
        now = item.fetched_at or utcnow()
        if row is None:
            validators = {"etag": item.etag, "last_modified": item.last_modified}
            article_id = self._insert_article(url, item.site, converted, now, validators)
            version_id = self._insert_version(article_id, 1, crawl_id, item, converted, now, origin)
            self._insert_change(article_id, version_id, crawl_id, "new", now)
            return Outcome(url, "new")
        if item.document.post_id and row["post_id"] != item.document.post_id:  # read before it was kept
            self.db.execute("update articles set post_id = ? where id = ?", [item.document.post_id, row["id"]])
        restored = row["status"] == "removed"
        if row["content_hash"] == digest and origin == "reclean":
            return Outcome(url, "unchanged")
        if row["content_hash"] == digest:
            self.db.execute(
                """update articles set status = 'live', gone_since = null, last_seen = ?, last_checked = ?,
                   etag = ?, last_modified = ? where id = ?""",
                [now, now, item.etag, item.last_modified, row["id"]],
            )
            if not restored:
                return Outcome(url, "unchanged")
            self._insert_change(row["id"], self._latest_version_id(row["id"]), crawl_id, "restored", now)
            return Outcome(url, "restored")
        change = compare(self._stored_content(row["id"]), converted.content)
        number = row["version_count"] + 1
        version_id = self._insert_version(row["id"], number, crawl_id, item, converted, now, origin)
        columns = {
            **converted.columns,
            "status": "live",
            "gone_since": None,
            "content_hash": digest,
            "version_count": number,
            "last_changed": utcnow() if origin == "reclean" else now,
        }
        if origin == "crawl":  # a re-clean fetched nothing: the fetch facts stay as they were
            columns.update(last_seen=now, last_checked=now, etag=item.etag, last_modified=item.last_modified)
        self.db.execute(
            f"update articles set {', '.join(f'{name} = ?' for name in columns)} where id = ?",
            [*columns.values(), row["id"]],
        )
        kind = "restored" if restored else "recleaned" if origin == "reclean" else "edited"
        self._insert_change(row["id"], version_id, crawl_id, kind, columns["last_changed"], change)
        return Outcome(url, kind, change.fields if change else ())

    def _latest_version_id(self, article_id: int) -> int:
        return self.db.execute(
            "select id from versions where article_id = ? order by version desc limit 1", [article_id]
        ).fetchone()[0]

    def _insert_article(
        self, url: str, site: str, converted: _Converted, now: str, validators: dict[str, str]
    ) -> int:
        columns = {
            "url": url,
            "site": site,
            "status": "live",
            **converted.columns,
            "content_hash": converted.digest,
            "version_count": 1,
            "first_seen": now,
            "last_seen": now,
            "last_checked": now,
            "last_changed": now,
            **validators,
            "post_id": converted.data["post_id"] or None,
        }
        self._note_origin(url)
        return self._insert("articles", columns)

    def _insert_version(
        self, article_id: int, number: int, crawl_id: int, item: Fetched, converted: _Converted, now: str, origin: str
    ) -> int:
        data = converted.data
        meta = {key: value for key, value in data.items() if key not in CONTENT_FIELDS and key != "recent"}
        columns = {
            "article_id": article_id,
            "version": number,
            **converted.columns,
            "recent": _encode_json(data["recent"]),
            "meta": _encode_json(meta),
            "content_hash": converted.digest,
            "crawl_id": crawl_id,
            "fetched_at": now,
            "raw_html": item.page,
            "page_dictionary": self._store_dictionary(item.page_dictionary, renew=origin == "crawl"),
            "encoding": item.encoding,
            "origin": origin,
        }
        return self._insert("versions", columns)

    def _store_dictionary(self, dictionary: PageDictionary | None, *, renew: bool) -> str | None:
        """The id of the dictionary a version's page needs, stored with the first version that
        needs it, in its transaction: once per batch, and only for pages the archive keeps
        (an unchanged article's page is not kept, nor is its dictionary).

        A dictionary a month old is made again from the first page a crawl cleans; when that
        page is the same as the old one, byte for byte, the old row is the new dictionary, and
        its `created` moves on (`renew`) so that the site's next crawls use it for another
        month. A re-clean stores old pages with the dictionaries they had: it renews none."""
        if dictionary is None:
            return None
        if dictionary.id not in self._dictionaries_stored:
            self.db.execute(
                """insert into page_dictionaries (id, base_url, created, content) values (?, ?, ?, ?)
                   on conflict (id) do update set created = excluded.created
                   where ? and julianday(excluded.created) - julianday(page_dictionaries.created) >= ?""",
                [dictionary.id, dictionary.base_url, utcnow(), dictionary.content, renew, pages.DICTIONARY_DAYS],
            )
            self._dictionaries_stored.add(dictionary.id)
        return dictionary.id

    def _insert(self, table: str, columns: dict[str, Any]) -> int:
        """One row, its columns in one statement; the new row's id."""
        cursor = self.db.execute(
            f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
            list(columns.values()),
        )
        return _row_id(cursor)

    def _insert_change(self, article_id: int, version_id: int | None, crawl_id: int, kind: str, now: str, change: Any = None) -> None:
        self.db.execute(
            """insert into changes (article_id, version_id, crawl_id, kind, fields, significance,
               words_added, words_removed, diff, detected_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                article_id,
                version_id,
                crawl_id,
                kind,
                _encode_json(list(change.fields) if change else []),
                change.significance if change else None,
                change.words_added if change else 0,
                change.words_removed if change else 0,
                _encode_json({name: diff.to_json() for name, diff in change.diffs.items()}) if change else None,
                now,
            ],
        )

    # -- reading what the crawler needs ---------------------------------------------------------

    def known(self, site: str) -> Known:
        rows = self.db.execute("select url, status, last_checked, post_id from articles where site = ?", [site]).fetchall()
        live = [(url, checked, post_id) for url, status, checked, post_id in rows if status == "live"]
        return Known(
            urls=frozenset(url for url, *_ in rows),
            live=frozenset(url for url, *_ in live),
            last_checked={url: checked for url, checked, _ in live},
            post_ids={url: post_id for url, _, post_id in live if post_id},
        )

    def due(self, site: str, policy: RecheckPolicy, *, everything: bool = False, now: str = "") -> list[Due]:
        """Live articles due for a recheck, with the validators of their last fetch."""
        sql = "select url, etag, last_modified from articles where site = :site and status = 'live'"
        if not everything:
            sql += """ and (last_checked is null or
                (julianday(:now) - julianday(last_checked)) * 24 >=
                (case
                    when julianday(:now) - julianday(coalesce(published, first_seen)) < 1 then :day
                    when julianday(:now) - julianday(coalesce(published, first_seen)) < 30 then :month
                    else :older end) / (1 << min(version_count - 1, 3)))"""
        params = {
            "site": site,
            "now": now or utcnow(),
            "day": policy.first_day_hours,
            "month": policy.first_month_hours,
            "older": policy.older_hours,
        }
        return [Due(url, etag or "", modified or "") for url, etag, modified in self.db.execute(sql, params)]

    def page_dictionary(self, base_url: str, now: str = "") -> PageDictionary | None:
        """The dictionary to compress a crawl's pages of the site at `base_url` against: its
        latest, unless it is older than `pages.DICTIONARY_DAYS` (the crawl then makes one)."""
        row = self.db.execute(
            """select id, base_url, content from page_dictionaries
               where base_url = ? and julianday(?) - julianday(created) < ?
               order by created desc limit 1""",
            [base_url, now or utcnow(), pages.DICTIONARY_DAYS],
        ).fetchone()
        return PageDictionary(*row) if row else None

    def dictionary(self, dictionary_id: str) -> PageDictionary:
        return PageDictionary(
            *self.db.execute("select id, base_url, content from page_dictionaries where id = ?", [dictionary_id]).fetchone()
        )

    def stored_pages(self, site: str | None = None, page_size: int = 200) -> Iterator[StoredPage]:
        """The latest stored page of each live article, read a page of rows at a time."""
        sql = """select articles.id, articles.url, articles.site, versions.raw_html, versions.encoding,
                        articles.etag, articles.last_modified, versions.fetched_at, versions.page_dictionary
                 from articles join versions on versions.article_id = articles.id
                      and versions.version = articles.version_count
                 where articles.status = 'live' and articles.id > ? and (? is null or articles.site = ?)
                 order by articles.id limit ?"""
        last_id = 0
        dictionaries: dict[str, PageDictionary] = {}
        while rows := self.db.execute(sql, [last_id, site, site, page_size]).fetchall():
            for article_id, url, site_name, raw, encoding, etag, modified, fetched_at, dictionary_id in rows:
                last_id = article_id
                if dictionary_id and dictionary_id not in dictionaries:
                    dictionaries[dictionary_id] = self.dictionary(dictionary_id)
                dictionary = dictionaries[dictionary_id] if dictionary_id else None
                yield StoredPage(url, site_name, raw, encoding or "utf-8", etag or "", modified or "", fetched_at, dictionary)


def _check_whole(path: Path) -> None:
    """Refuse a file whose SQLite header promises more pages than it holds (a truncated copy).

    SQLite itself would open it and fail later, mid-crawl, on the first missing page. Not while
    the archive has a write-ahead log: a checkpoint copies the log's pages into the file in page
    order, the header (page 1) first, so a crawl's checkpoint looks like this for a moment, and
    `newsdelta status` beside a running crawl called the archive damaged.
    """
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return
    with path.open("rb") as file:
        header = file.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        if header:  # an empty file is a new archive
            raise ArchiveError(f"{path}: not a newsdelta archive (not an SQLite database)")
        return
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_valid = header[24:28] == header[92:96]
    if header_valid and pages * page_size > path.stat().st_size:
        raise ArchiveError(f"{path}: not a newsdelta archive (damaged: truncated to {path.stat().st_size} bytes)")


def same_site(url: str, other: str) -> bool:
    """Whether `other` is on `url`'s scheme and host, or on its twins: the other of http and
    https, the host with or without `www.`. A site moving there keeps its articles."""
    return _origin(other) in {_origin(address) for address in (url, *_twins(url))}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _twins(url: str) -> list[str]:
    """`url` on the other scheme (http, https), on the host with or without `www.`, and both."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    schemes = [parts.scheme, "https" if parts.scheme == "http" else "http"]
    hosts = [parts.netloc, parts.netloc[4:] if parts.netloc.startswith("www.") else f"www.{parts.netloc}"]
    return [urlunsplit(parts._replace(scheme=scheme, netloc=host)) for scheme in schemes for host in hosts][1:]


def _seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection, also to an archive on a read-only file system.

    Reading a WAL database needs its `-shm` file, which a read-only folder cannot hold; there,
    nothing can be writing the file either, so SQLite may read it as `immutable`.
    """
    mode = "ro" if os.access(path.parent, os.W_OK) else "ro&immutable=1"
    return sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)


def _check_readable(db: sqlite_utils.Database, path: Path) -> None:
    version = schema_version(db)
    if version == 0:
        raise ArchiveError(f"{path}: not a newsdelta archive (no schema version)")
    if version > SCHEMA_VERSION:
        raise ArchiveError(
            f"{path}: archive schema version {version} is newer than this newsdelta understands ({SCHEMA_VERSION})"
        )


def _row_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just wrote (sqlite3 types it as optional: it is not, after one)."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid
