"""The archive: every distinct version of every article, and what each crawl found changed.

One writer (the crawl), any number of readers (CLI, Datasette): SQLite in WAL mode. A batch of
fetched documents is classified with one set-based query and written in one transaction, so a
version never exists without its change, nor a change without its version, whatever kills the
process.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from scraper.document import CONTENT_FIELDS, Document, to_dict
from storage.diff import compare, content_hash
from storage.migrations import SCHEMA_VERSION, ArchiveError, migrate, schema_version

BUSY_TIMEOUT_S = 15.0
JSON_FIELDS = ("highlights", "body", "categories")


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Fetched:
    """A document as fetched in a crawl, with what is needed to recheck and re-clean it."""

    document: Document
    html: bytes
    site: str
    encoding: str = "utf-8"
    etag: str = ""
    last_modified: str = ""
    fetched_at: str = ""


@dataclass(frozen=True)
class Failure:
    url: str
    reason: str
    status: int | None = None
    failed_at: str = ""


@dataclass(frozen=True)
class Outcome:
    url: str
    kind: str  # new / edited / unchanged
    fields: tuple[str, ...] = ()


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
        raise ArchiveError(f"{path}: {message}") from error


def content_of(document: Document) -> dict[str, Any]:
    return document.content()


def _row_content(row: dict[str, Any]) -> dict[str, Any]:
    """An `articles`/`versions` row's content fields, JSON columns decoded."""
    return {name: json.loads(row[name] or "[]") if name in JSON_FIELDS else row[name] for name in CONTENT_FIELDS}


def _content_columns(content: dict[str, Any]) -> dict[str, Any]:
    return {
        name: json.dumps(content[name], ensure_ascii=False) if name in JSON_FIELDS else content[name]
        for name in CONTENT_FIELDS
    }


class Archive:
    """An open archive file. Use `Archive.open(path)`; close it, or use it as a context manager."""

    def __init__(self, db: sqlite_utils.Database, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, readonly: bool = False) -> Archive:
        """Open (and create or migrate) the archive at `path`."""
        path = Path(path)
        if not path.exists() and (readonly or not create):
            raise ArchiveError(f"{path}: no archive here (run `newsdelta crawl` or `newsdelta demo` first)")
        with _sqlite_errors(path):
            if readonly:
                conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            else:
                conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            try:
                db = sqlite_utils.Database(conn)
                if not readonly:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("PRAGMA synchronous=NORMAL")
                    db.execute("PRAGMA foreign_keys=ON")
                    migrate(db, path)
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
        return int(cursor.lastrowid)

    def finish_crawl(self, crawl_id: int, *, status: str, stats: dict[str, Any] | None = None) -> dict[str, Any]:
        with self._transaction():
            self.db.execute(
                "update crawls set status = ?, finished = ?, stats = ? where id = ?",
                [status, utcnow(), json.dumps(stats or {}, default=str), crawl_id],
            )
        return self.crawl(crawl_id)

    def crawl(self, crawl_id: int) -> dict[str, Any]:
        return self.db["crawls"].get(crawl_id)

    # -- writing what a crawl fetched -----------------------------------------------------------

    def record(self, crawl_id: int, batch: Sequence[Fetched]) -> list[Outcome]:
        """Classify and store a batch of fetched documents in one transaction."""
        latest = {item.document.url: item for item in batch}  # one URL once per batch
        outcomes: list[Outcome] = []
        with self._transaction():
            known = self._current(list(latest))
            for url, item in latest.items():
                outcomes.append(self._record_one(crawl_id, item, known.get(url)))
            counts = Counter(outcome.kind for outcome in outcomes)
            self.db.execute(
                "update crawls set new = new + ?, edited = edited + ?, unchanged = unchanged + ? where id = ?",
                [counts["new"], counts["edited"], counts["unchanged"], crawl_id],
            )
        return outcomes

    def record_failures(self, crawl_id: int, failures: Sequence[Failure]) -> None:
        """Failures are facts about a fetch, never about the article: no version, no change."""
        with self._transaction():
            self.db.conn.executemany(
                "insert into fetch_failures (crawl_id, url, status, reason, failed_at) values (?, ?, ?, ?, ?)",
                [(crawl_id, f.url, f.status, f.reason, f.failed_at or utcnow()) for f in failures],
            )
            self.db.execute("update crawls set failed = failed + ? where id = ?", [len(failures), crawl_id])

    def _current(self, urls: list[str]) -> dict[str, dict[str, Any]]:
        """The known articles among `urls`, in one query."""
        rows = self.db.query(
            "select * from articles where url in (select value from json_each(?))", [json.dumps(urls)]
        )
        return {row["url"]: row for row in rows}

    def _record_one(self, crawl_id: int, item: Fetched, row: dict[str, Any] | None) -> Outcome:
        document = item.document
        content = content_of(document)
        digest = content_hash(content)
        now = item.fetched_at or utcnow()
        validators = {"etag": item.etag, "last_modified": item.last_modified}
        if row is None:
            article_id = self._insert_article(document.url, item.site, content, digest, now, validators)
            version_id = self._insert_version(article_id, 1, crawl_id, item, digest, now)
            self._insert_change(article_id, version_id, crawl_id, "new", now)
            return Outcome(document.url, "new")
        if row["content_hash"] == digest:
            self.db.execute(
                "update articles set last_seen = ?, last_checked = ?, etag = ?, last_modified = ? where id = ?",
                [now, now, item.etag, item.last_modified, row["id"]],
            )
            return Outcome(document.url, "unchanged")
        change = compare(_row_content(row), content)
        number = row["version_count"] + 1
        version_id = self._insert_version(row["id"], number, crawl_id, item, digest, now)
        self.db.execute(
            f"""update articles set {', '.join(f'{name} = ?' for name in CONTENT_FIELDS)},
                content_hash = ?, version_count = ?, last_seen = ?, last_checked = ?, last_changed = ?,
                etag = ?, last_modified = ? where id = ?""",
            [*_content_columns(content).values(), digest, number, now, now, now, item.etag, item.last_modified, row["id"]],
        )
        fields = change.fields if change else ()
        self._insert_change(row["id"], version_id, crawl_id, "edited", now, change)
        return Outcome(document.url, "edited", fields)

    def _insert_article(
        self, url: str, site: str, content: dict[str, Any], digest: str, now: str, validators: dict[str, str]
    ) -> int:
        columns = {
            "url": url,
            "site": site,
            "status": "live",
            **_content_columns(content),
            "content_hash": digest,
            "version_count": 1,
            "first_seen": now,
            "last_seen": now,
            "last_checked": now,
            "last_changed": now,
            **validators,
        }
        cursor = self.db.execute(
            f"insert into articles ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
            list(columns.values()),
        )
        return int(cursor.lastrowid)

    def _insert_version(self, article_id: int, number: int, crawl_id: int, item: Fetched, digest: str, now: str) -> int:
        data = to_dict(item.document)
        meta = {key: value for key, value in data.items() if key not in CONTENT_FIELDS and key != "recent"}
        columns = {
            "article_id": article_id,
            "version": number,
            **_content_columns(data),
            "recent": json.dumps(data["recent"], ensure_ascii=False),
            "meta": json.dumps(meta, ensure_ascii=False),
            "content_hash": digest,
            "crawl_id": crawl_id,
            "fetched_at": now,
            "raw_html": zlib.compress(item.html, 6),
            "encoding": item.encoding,
        }
        cursor = self.db.execute(
            f"insert into versions ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
            list(columns.values()),
        )
        return int(cursor.lastrowid)

    def _insert_change(self, article_id: int, version_id: int | None, crawl_id: int, kind: str, now: str, change: Any = None) -> None:
        self.db.execute(
            """insert into changes (article_id, version_id, crawl_id, kind, fields, significance,
               words_added, words_removed, diff, detected_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                article_id,
                version_id,
                crawl_id,
                kind,
                json.dumps(list(change.fields) if change else []),
                change.significance if change else None,
                change.words_added if change else 0,
                change.words_removed if change else 0,
                json.dumps({name: diff.to_json() for name, diff in change.diffs.items()}, ensure_ascii=False) if change else None,
                now,
            ],
        )

    # -- reading what the crawler needs ---------------------------------------------------------

    def known_urls(self, site: str) -> set[str]:
        return {row[0] for row in self.db.execute("select url from articles where site = ?", [site])}


def _check_readable(db: sqlite_utils.Database, path: Path) -> None:
    version = schema_version(db)
    if version == 0:
        raise ArchiveError(f"{path}: not a newsdelta archive (no schema version)")
    if version > SCHEMA_VERSION:
        raise ArchiveError(
            f"{path}: archive schema version {version} is newer than this newsdelta understands ({SCHEMA_VERSION})"
        )
