"""The archive file: schema contract, atomic batches, refusing files it must not touch."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zstandard

from scraper.clean import clean
from scraper.document import Document, content_fields, to_dict
from scraper.standin.site import StandinSite
from scraper.standin.synthetic import synthetic_articles
from scraper.writer import WriterConfig, open_archive
from storage import pages
from storage.archive import Archive, Fetched
from storage.diff import compare, content_hash, normalise_content
from storage.migrations import SCHEMA_VERSION, ArchiveError


def fetched(url: str, body: tuple[str, ...] = ("One paragraph.",), title: str = "A title") -> Fetched:
    return Fetched(document=Document(url=url, title=title, body=body), page=pages.compress(b"<html>page</html>"), site="indbiz")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_crawls_archive_writer_caches_32_mb_of_pages_and_other_connections_sqlites_default(db_path: Path) -> None:
    """A batch's dirty pages fit in the writer's cache (`storage.archive.WRITER_CACHE_MB`);
    the crawl's own connection, which reads the archive's URLs once, keeps SQLite's 2 MB."""
    with Archive.open(db_path) as archive:
        crawl_id = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
    with open_archive(WriterConfig(str(db_path), crawl_id)) as archive:
        assert archive.db.execute("pragma cache_size").fetchone() == (-32 * 1024,)
        archive.record(crawl_id, [fetched("https://example.org/1/")])
    for options in ({}, {"readonly": True}):
        with Archive.open(db_path, **options) as archive:
            assert archive.db.execute("pragma cache_size").fetchone() == (-2000,)
            assert archive.db.execute("select count(*) from articles").fetchone() == (1,)


def test_schema_has_the_tables_and_version(db_path: Path) -> None:
    with Archive.open(db_path) as archive:
        tables = set(archive.db.table_names())
        assert {"articles", "versions", "changes", "crawls", "fetch_failures", "articles_fts"} <= tables
        assert "latest_changes" in archive.db.view_names()
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert archive.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_new_unchanged_edited(db_path: Path) -> None:
    with Archive.open(db_path) as archive:
        crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        assert [o.kind for o in archive.record(crawl, [fetched("u1"), fetched("u2")])] == ["new", "new"]
        assert [o.kind for o in archive.record(crawl, [fetched("u1")])] == ["unchanged"]
        outcome = archive.record(crawl, [fetched("u2", body=("One changed paragraph.",))])[0]
        assert (outcome.kind, outcome.fields) == ("edited", ("body",))
        row = archive.crawl(crawl)
        assert (row["new"], row["edited"], row["unchanged"]) == (2, 1, 1)
        assert [r["version"] for r in archive.db.query("select version from versions order by id")] == [1, 1, 2]


@pytest.mark.parametrize(
    "old, new",
    [
        ("http://example.com/a/", "https://example.com/a/"),
        ("https://example.com/a/", "https://www.example.com/a/"),
        ("http://www.example.com/a/", "https://example.com/a/"),
    ],
)
def test_an_article_of_a_site_that_moved_to_another_scheme_or_host_keeps_its_row(db_path: Path, old: str, new: str) -> None:
    with Archive.open(db_path) as archive:
        first = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(first, [fetched(old), fetched("https://elsewhere.example/a/")])
        moved = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        outcomes = archive.record(moved, [fetched(new), fetched(new.replace("/a/", "/b/"), title="Another")])
        assert [(o.url, o.kind) for o in outcomes] == [(new, "unchanged"), (new.replace("/a/", "/b/"), "new")]
        edited = archive.record(moved, [fetched(new, body=("One paragraph, edited.",))])
        assert [o.kind for o in edited] == ["edited"]
        rows = {row["url"]: row["version_count"] for row in archive.db.query("select url, version_count from articles")}
        assert rows == {new: 2, new.replace("/a/", "/b/"): 1, "https://elsewhere.example/a/": 1}


def test_an_address_on_another_path_is_another_article(db_path: Path) -> None:
    with Archive.open(db_path) as archive:
        crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(crawl, [fetched("http://example.com/a/")])
        assert [o.kind for o in archive.record(crawl, [fetched("https://example.com/a/b/"), fetched("https://example.org/a/")])] == ["new", "new"]


def with_post_id(item: Fetched, post_id: str, site: str = "indbiz") -> Fetched:
    return replace(item, document=replace(item.document, post_id=post_id), site=site)


def test_an_article_whose_address_changed_keeps_its_row_by_its_post_id(db_path: Path) -> None:
    with Archive.open(db_path) as archive:
        first = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(first, [with_post_id(fetched("http://example.com/a/"), "7"), with_post_id(fetched("http://example.com/b/"), "8")])
        moved = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        renamed = with_post_id(fetched("https://example.com/2024/a-new-slug/", title="A new title"), "7")
        outcome = archive.record(moved, [renamed])[0]
        assert (outcome.url, outcome.kind, outcome.fields) == ("https://example.com/2024/a-new-slug/", "edited", ("title",))
        rows = {row["url"]: (row["id"], row["post_id"], row["version_count"]) for row in archive.db.query("select * from articles")}
        assert rows == {"https://example.com/2024/a-new-slug/": (1, "7", 2), "http://example.com/b/": (2, "8", 1)}
        assert archive.known("indbiz").post_ids == {"https://example.com/2024/a-new-slug/": "7", "http://example.com/b/": "8"}


@pytest.mark.parametrize(
    "why, archived, fetched_now",
    [
        ("another site's post 7", [("https://example.org/a/", "7")], [("https://example.com/c/", "7")]),
        ("another profile's post 7", [("https://example.com/a/", "7", "generic")], [("https://example.com/c/", "7")]),
        ("two posts 7: which?", [("https://example.com/a/", "7"), ("https://example.com/b/", "7")], [("https://example.com/c/", "7")]),
        ("the old address answered too", [("https://example.com/a/", "7")], [("https://example.com/c/", "7"), ("https://example.com/a/", "7")]),
        ("no post id", [("https://example.com/a/", "")], [("https://example.com/c/", "")]),
    ],
)
def test_a_post_id_moves_a_row_only_when_it_names_one_article_of_the_site(
    db_path: Path, why: str, archived: list[tuple[str, ...]], fetched_now: list[tuple[str, ...]]
) -> None:
    with Archive.open(db_path) as archive:
        first = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(first, [with_post_id(fetched(url, title=url), post_id, *site) for url, post_id, *site in archived])
        second = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        outcomes = archive.record(second, [with_post_id(fetched(url, title=url), post_id) for url, post_id in fetched_now])
        assert outcomes[0].kind == "new", why
        urls = {url for (url,) in archive.db.execute("select url from articles")}
        assert urls == {url for url, *_ in archived} | {url for url, _ in fetched_now}, why


def test_a_post_served_at_two_addresses_keeps_two_rows_that_never_trade_places(db_path: Path) -> None:
    """A site serving one post at two addresses, each page naming itself: once the first has
    answered in a crawl, the second is not its move. Before, the row moved to whichever
    address came last, back and forth, crawl after crawl."""
    a, b = with_post_id(fetched("https://example.com/a/"), "7"), with_post_id(fetched("https://example.com/b/"), "7")
    with Archive.open(db_path) as archive:
        archive.record(archive.start_crawl(site="indbiz", mode="full", trigger="cli"), [a])
        rows = []
        for first, then in ((a, b), (b, a), (a, b)):
            crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
            archive.record(crawl, [first])
            archive.record(crawl, [then])
            rows.append(dict(archive.db.execute("select url, id from articles").fetchall()))
        assert rows == [{"https://example.com/a/": 1, "https://example.com/b/": 2}] * 3
        archive.record(crawl, [with_post_id(fetched("https://example.com/d/"), "9")])
        touched = archive.start_crawl(site="indbiz", mode="recheck", trigger="cli")
        archive.touch(touched, ["https://example.com/d/"])  # a 304 is an answer too
        assert archive.record(touched, [with_post_id(fetched("https://example.com/e/"), "9")])[0].kind == "new"
        later = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        assert archive.record(later, [with_post_id(fetched("https://example.com/f/"), "7")])[0].kind == "new"  # two rows have 7


def test_an_archive_of_schema_3_gets_its_post_ids_as_its_articles_are_fetched(db_path: Path) -> None:
    with Archive.open(db_path) as archive:
        crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(crawl, [fetched("https://example.com/a/")])
    with sqlite3.connect(db_path) as conn:  # what newsdelta with schema 3 left: no post_id
        conn.execute("drop index idx_articles_post_id")
        conn.execute("alter table articles drop column post_id")
        conn.execute("PRAGMA user_version = 3")
    conn.close()
    with Archive.open(db_path) as archive:
        assert archive.db.execute("select post_id from articles").fetchall() == [(None,)]
        crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        assert archive.record(crawl, [with_post_id(fetched("https://example.com/a/"), "7")])[0].kind == "unchanged"
        assert archive.db.execute("select post_id from articles").fetchall() == [("7",)]
        moved = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        renamed = archive.record(moved, [with_post_id(fetched("https://example.com/a-new-slug/"), "7")])
        assert [(o.url, o.kind) for o in renamed] == [("https://example.com/a-new-slug/", "unchanged")]


def test_a_batch_that_fails_midway_writes_nothing(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Archive.open(db_path) as archive:
        crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        calls = {"n": 0}
        original = Archive._insert_change

        def crash_on_second(self: Archive, *args: object, **kwargs: object) -> None:
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("power cut")
            original(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Archive, "_insert_change", crash_on_second)
        with pytest.raises(RuntimeError):
            archive.record(crawl, [fetched("u1"), fetched("u2")])
        assert (archive.db["articles"].count, archive.db["versions"].count, archive.db["changes"].count) == (0, 0, 0)
        assert archive.crawl(crawl)["new"] == 0


def test_fts_finds_an_article_by_a_body_word(db_path: Path) -> None:
    with Archive.open(db_path) as archive:
        crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(crawl, [fetched("u1", body=("Semiconductor fabs open in Gujarat.",))])
        assert [r["url"] for r in archive.db["articles"].search("semiconductor")] == ["u1"]


def fts_consistent(archive: Archive) -> bool:
    """FTS5's own check that the index holds exactly what `articles` holds."""
    try:
        archive.db.execute("insert into articles_fts (articles_fts) values ('integrity-check')")
    except sqlite3.DatabaseError:
        return False
    return True


def search(archive: Archive, words: str) -> list[str]:
    return [row["url"] for row in archive.db["articles"].search(words)]


def fts_data(archive: Archive) -> list[tuple]:
    return archive.db.execute("select id, block from articles_fts_data order by id").fetchall()


def test_the_full_text_index_follows_new_and_edited_articles(db_path: Path) -> None:
    with Archive.open(db_path) as archive:
        crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(crawl, [fetched(f"u{n}", body=(f"Semiconductor fabs open in Gujarat, plant {n}.",)) for n in range(3)])
        assert sorted(search(archive, "semiconductor")) == ["u0", "u1", "u2"]
        archive.record(crawl, [fetched("u1", body=("Textile parks open in Tamil Nadu.",), title="Textiles")])
        assert sorted(search(archive, "semiconductor")) == ["u0", "u2"]
        assert search(archive, "textile") == ["u1"]  # porter: "textiles" and "textile" meet
        assert fts_consistent(archive)


def test_unchanged_articles_and_304s_leave_the_full_text_index_alone(db_path: Path) -> None:
    with Archive.open(db_path) as archive:
        crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(crawl, [fetched("u1"), fetched("u2")])
        before = fts_data(archive)
        assert [o.kind for o in archive.record(crawl, [fetched("u1")])] == ["unchanged"]
        archive.touch(crawl, ["u1", "u2"])
        assert fts_data(archive) == before
        assert fts_consistent(archive)


#: The triggers sqlite-utils' `enable_fts(create_triggers=True)` made in schemas 1 and 2.
SCHEMA_2_TRIGGERS = """
CREATE TRIGGER "articles_ai" AFTER INSERT ON "articles" BEGIN
  INSERT INTO "articles_fts" (rowid, "title", "summary", "highlights", "body") VALUES (new.rowid, new."title", new."summary", new."highlights", new."body");
END;
CREATE TRIGGER "articles_au" AFTER UPDATE ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "summary", "highlights", "body") VALUES('delete', old.rowid, old."title", old."summary", old."highlights", old."body");
  INSERT INTO "articles_fts" (rowid, "title", "summary", "highlights", "body") VALUES (new.rowid, new."title", new."summary", new."highlights", new."body");
END;
"""


def test_a_version_2_archive_keeps_its_full_text_index_and_loses_the_row_triggers(db_path: Path) -> None:
    """Schema 2 kept the index with sqlite-utils' triggers; migration 3 keeps the index as it is."""
    with Archive.open(db_path) as archive:
        crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(crawl, [fetched("old", body=("Spice exports climb.",))])
    with sqlite3.connect(db_path) as conn:  # what newsdelta with schema 2 left: sqlite-utils' triggers
        conn.execute('drop trigger "articles_au"')
        conn.executescript(SCHEMA_2_TRIGGERS)
        conn.execute("PRAGMA user_version = 2")
        assert {row[0] for row in conn.execute("select name from sqlite_master where type = 'trigger'")} == {"articles_ai", "articles_ad", "articles_au"}
    conn.close()

    with Archive.open(db_path) as archive:
        triggers = dict(archive.db.execute("select name, sql from sqlite_master where type = 'trigger'").fetchall())
        assert set(triggers) == {"articles_ad", "articles_au"}
        assert "AFTER UPDATE OF" in triggers["articles_au"]
        crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(crawl, [fetched("new", body=("Spice exports climb again.",))])
        assert sorted(search(archive, "spice")) == ["new", "old"]  # each once: indexed by the batch only
        assert fts_consistent(archive)


def index_segments_after_64_batches(archive: Archive) -> int:
    """The segments (b-trees) of the full-text index after 64 batches of one long article each."""
    crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
    words = " ".join(f"word{n}" for n in range(300))
    for n in range(64):
        archive.record(crawl, [fetched(f"https://example.org/{n}/", body=(f"Semiconductor plant {n}: {words}.",))])
    assert len(search(archive, "semiconductor")) == 64 + 1
    assert fts_consistent(archive)
    return archive.db.execute("select count(distinct segid) from articles_fts_idx").fetchone()[0]


def test_the_full_text_index_merges_sixteen_segments_at_a_time_also_in_a_version_5_archive(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 6: each indexed word is rewritten half as often as FTS5's default (four) has it."""
    from storage import migrations

    with monkeypatch.context() as old:  # the archive as newsdelta with schema 5 made it
        old.setattr(migrations, "SCHEMA_VERSION", 5)
        with Archive.open(db_path) as archive:
            assert archive.db.execute("select * from articles_fts_config where k = 'automerge'").fetchall() == []
            crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
            archive.record(crawl, [fetched("https://example.org/old/", body=("A semiconductor plant, indexed by schema 5.",))])

    with Archive.open(db_path) as archive:
        assert archive.db.execute("select v from articles_fts_config where k = 'automerge'").fetchall() == [(16,)]
        merged_by_sixteen = index_segments_after_64_batches(archive)
    with Archive.open(tmp_path / "fts5-default.db") as archive:
        archive.db.execute("insert into articles_fts (articles_fts, rank) values ('automerge', 4)")  # FTS5's default
        archive.record(archive.start_crawl(site="indbiz", mode="full", trigger="cli"), [fetched("https://example.org/old/", body=("A semiconductor plant.",))])
        merged_by_four = index_segments_after_64_batches(archive)
    assert merged_by_sixteen > merged_by_four
    assert db_path.with_name("archive.db.v5.bak").exists()


def test_a_file_that_is_not_sqlite_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    before = digest(path)
    with pytest.raises(ArchiveError, match="not a newsdelta archive"):
        Archive.open(path)
    assert digest(path) == before


def test_an_archive_from_a_newer_newsdelta_is_refused_and_left_untouched(db_path: Path) -> None:
    Archive.open(db_path).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = digest(db_path)
    with pytest.raises(ArchiveError, match="newer"):
        Archive.open(db_path)
    assert digest(db_path) == before


def test_a_version_1_archive_gets_its_zlib_pages_recompressed(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Schema 1 stored pages with zlib; migration 2 rewrites them so every page reads one way."""
    page = "<html><body><p>Ünïcode page, big enough to compress.</p></body></html>".encode() * 500
    with Archive.open(db_path) as archive:
        crawl_id = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(crawl_id, [replace(fetched(f"https://example.org/{n}/"), page=pages.compress(page)) for n in range(3)])
        archive.finish_crawl(crawl_id, status="ok")
    with sqlite3.connect(db_path) as conn:  # what newsdelta with schema 1 wrote
        conn.execute("update versions set raw_html = ?", [zlib.compress(page, 6)])
        conn.execute("PRAGMA user_version = 1")
        before = conn.execute("select id, url, content_hash from articles order by id").fetchall()
    conn.close()

    with Archive.open(db_path) as archive:
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert f"upgrading the archive from schema 1 to {SCHEMA_VERSION} (backup: archive.db.v1.bak)" in caplog.text
        stored = [row[0] for row in archive.db.execute("select raw_html from versions")]
        assert len(stored) == 3 and all(blob.startswith(b"\x28\xb5\x2f\xfd") for blob in stored)  # zstd frames
        assert [p.html for p in archive.stored_pages()] == [page] * 3
        assert archive.db.execute("select id, url, content_hash from articles order by id").fetchall() == before
    with sqlite3.connect(db_path.with_name("archive.db.v1.bak")) as backup:
        assert [zlib.decompress(row[0]) for row in backup.execute("select raw_html from versions")] == [page] * 3
    backup.close()


def test_another_sqlite_database_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table notes (text)")
    conn.close()
    with pytest.raises(ArchiveError, match="not a newsdelta archive"):
        Archive.open(path)


def test_a_locked_archive_gives_a_clear_error_and_loses_nothing(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import storage.archive

    with Archive.open(db_path) as archive:
        crawl = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(crawl, [fetched("u1")])
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(storage.archive, "BUSY_TIMEOUT_S", 0.2)
    try:
        with pytest.raises(ArchiveError, match="locked"), Archive.open(db_path) as archive:
            archive.record(crawl, [fetched("u2")])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with Archive.open(db_path, readonly=True) as archive:
        assert [r["url"] for r in archive.db.query("select url from articles")] == ["u1"]


def test_reading_a_missing_archive_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no archive"):
        Archive.open(tmp_path / "missing.db", readonly=True)
    assert not (tmp_path / "missing.db").exists()


def test_the_content_hash_of_a_messy_article_is_the_one_archives_already_hold() -> None:
    """Every stored version's hash depends on this exact value: a faster normalisation or a
    new JSON encoder must not move it (pinned with the code of commit 3473bbb, before either)."""
    content = {
        "title": "India  and Canada to deepen\u00a0cooperation",
        "summary": " Cafe\u0301 talks, \u200bsoft\u00adly. ",
        "published": "2024-04-05",
        "highlights": ["₹84,500 crore by 2026", "  ", "“quoted”\tline"],
        "body": ["A second phase.\nOf the programme.", "", "क्ष\u200d text"],
        "categories": ["Technology"],
    }
    assert content_hash(content) == "a6870755a4bd1dad6c90e0700872d6b23e009b716093d94c0f687ec0f79d4b6d"


MESSY_CONTENT = {
    "title": "India  and Canada to deepen\u00a0cooperation",
    "summary": " Cafe\u0301 talks, \u200bsoft\u00adly. ",
    "published": None,
    "highlights": ["₹84,500 crore by 2026", "  ", "“quoted” \"line\"\t\\ end"],
    "body": ["A second phase.\nOf the programme.", "", "क्ष\u200d text", "{\"body\": [1]}"],
    "categories": [],
}


def test_the_content_hash_is_sha256_of_jsons_own_object_of_the_normalised_fields() -> None:
    """`storage.diff` joins the object from each field's JSON, so that the archive can store a
    field's JSON the hash wrote: the bytes must be json's own, whatever the texts hold."""
    site = StandinSite(synthetic_articles(40))
    pages_ = [site.render_article(article, "http://127.0.0.1:8000") for article in site.articles()]
    contents = [MESSY_CONTENT, {**MESSY_CONTENT, "published": "2024-04-05", "categories": ["Trade", "Économie"]}]
    contents += [content_fields(to_dict(clean(page, "http://127.0.0.1:8000/a/", None))) for page in pages_]
    for content in contents:
        canonical = json.dumps(normalise_content(content), ensure_ascii=False, sort_keys=True)
        assert content_hash(content) == hashlib.sha256(canonical.encode("utf-8")).hexdigest(), content


def test_json_columns_hold_the_fields_as_fetched_normalised_or_not(db_path: Path) -> None:
    """The archive stores what the page said; only the hash sees the normalised text."""
    normal = ("India and Japan sign a pact.", "Tariffs fall by 10%.")
    messy = tuple(MESSY_CONTENT["body"])
    with Archive.open(db_path) as archive:
        crawl_id = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(crawl_id, [fetched("https://example.org/normal/", normal), fetched("https://example.org/messy/", messy)])
        for table in ("articles", "versions"):
            rows = archive.db.execute(f"select body from {table} order by id").fetchall()
            assert [body for (body,) in rows] == [json.dumps(list(normal), ensure_ascii=False), json.dumps(list(messy), ensure_ascii=False)]


def test_hash_ignores_whitespace_nbsp_and_unicode_composition() -> None:
    a = {"title": "Café  ties", "body": ["India\xa0and  Japan"], "highlights": [], "categories": []}
    b = {"title": "Cafe\u0301 ties", "body": [" India and Japan "], "highlights": [], "categories": []}
    assert content_hash(a) == content_hash(b)
    assert compare(a, b) is None


def test_edits_are_classed_cosmetic_or_substantive() -> None:
    old = {"title": "India signs pact", "body": ["Tariffs fall by 10%."]}
    assert compare(old, {**old, "body": ["Tariffs fall by 10 % ."], "title": "India Signs Pact"}).significance == "cosmetic"
    change = compare(old, {**old, "body": ["Tariffs fall by 12%."]})
    assert change.significance == "substantive"
    assert (change.fields, change.words_added, change.words_removed) == (("body",), 1, 1)


def page_of(n: int) -> bytes:
    """A page of one site: the theme every page shares, and an article of its own."""
    theme = b"<style>" + b"".join(b".rule-%d{margin:%dpx}" % (i, i) for i in range(3000)) + b"</style>"
    return b"<html><head>" + theme + b"</head><body><p>Article %d: " % n + b"words of its own " * (20 + n) + b"</p></body></html>"


def test_pages_stored_against_a_dictionary_read_back_and_keep_it(db_path: Path) -> None:
    dictionary = pages.PageDictionary.of("https://example.org", page_of(0))
    assert dictionary.id == hashlib.sha256(page_of(0)).hexdigest()
    with Archive.open(db_path) as archive:
        crawl_id = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        for first in (1, 4):  # two batches, one dictionary
            archive.record(
                crawl_id,
                [
                    replace(fetched(f"https://example.org/{n}/"), page=pages.compress(page_of(n), dictionary), page_dictionary=dictionary)
                    for n in range(first, first + 3)
                ],
            )
        archive.record(crawl_id, [replace(fetched("https://example.org/9/"), page=pages.compress(page_of(9)))])
        assert archive.db.execute("select id, base_url, content from page_dictionaries").fetchall() == [
            (dictionary.id, "https://example.org", page_of(0))
        ]
        rows = archive.db.execute("select page_dictionary, length(raw_html) from versions order by id").fetchall()
        assert [name for name, _ in rows] == [dictionary.id] * 6 + [None]
        on_its_own = len(pages.compress(page_of(1)))
        assert all(size * 10 < on_its_own for _, size in rows[:6]), (rows, on_its_own)  # only what differs is stored
        assert {page.url: page.html for page in archive.stored_pages()} == {
            f"https://example.org/{n}/": page_of(n) for n in (1, 2, 3, 4, 5, 6, 9)
        }
        other = pages.PageDictionary.of("https://example.org", page_of(7))
        unchanged = replace(fetched("https://example.org/1/"), page=pages.compress(page_of(1), other), page_dictionary=other)
        assert [outcome.kind for outcome in archive.record(crawl_id, [unchanged])] == ["unchanged"]
        assert archive.db.execute("select count(*) from page_dictionaries").fetchone() == (1,)  # no page of it kept
        with pytest.raises(sqlite3.IntegrityError):  # a stored page never loses its dictionary
            archive.db.execute("delete from page_dictionaries")


def test_a_page_against_a_dictionary_reads_back_with_or_without_its_size_in_the_frame() -> None:
    """Pages are compressed against a dictionary without their size since 2026-12-07
    (`storage.pages.compress` says why); archives hold pages stored with it before."""
    dictionary = pages.PageDictionary.of("https://example.org", page_of(0))
    zstd_dictionary = zstandard.ZstdCompressionDict(page_of(0), dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    sized = zstandard.ZstdCompressor(level=pages.LEVEL, dict_data=zstd_dictionary).compress(page_of(1))
    stored = pages.compress(page_of(1), dictionary)
    assert zstandard.get_frame_parameters(sized).content_size == len(page_of(1))
    assert zstandard.get_frame_parameters(stored).content_size == zstandard.CONTENTSIZE_UNKNOWN
    assert len(stored) <= len(sized) + 8  # the same match search: only the header differs
    assert pages.decompress(sized, dictionary) == pages.decompress(stored, dictionary) == page_of(1)


def test_a_sites_dictionary_serves_its_crawls_for_a_month(db_path: Path) -> None:
    older = pages.PageDictionary.of("https://example.org", page_of(0))
    newer = pages.PageDictionary.of("https://example.org", page_of(1))
    with Archive.open(db_path) as archive:
        assert archive.page_dictionary("https://example.org") is None
        crawl_id = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        for n, dictionary in enumerate((older, newer)):
            archive.record(crawl_id, [replace(fetched(f"https://example.org/{n}/"), page_dictionary=dictionary)])
            archive.db.execute("update page_dictionaries set created = ? where id = ?", [f"2026-01-0{n + 1}T00:00:00+00:00", dictionary.id])
        assert archive.page_dictionary("https://example.org", now="2026-01-30T00:00:00+00:00") == newer
        assert archive.page_dictionary("https://example.org", now="2026-02-01T00:00:00+00:00") is None  # a month old: make one
        assert archive.page_dictionary("https://example.com", now="2026-01-02T00:00:00+00:00") is None  # another site's

        # A re-clean stores old pages with their dictionaries: it makes none new again.
        archive.record(crawl_id, [replace(fetched("https://example.org/1/", title="Re-read"), page_dictionary=newer)], origin="reclean")
        assert archive.page_dictionary("https://example.org") is None
        # The next crawl made it again from the same page: the same row, for another month.
        archive.record(crawl_id, [replace(fetched("https://example.org/2/"), page_dictionary=newer)])
        assert archive.page_dictionary("https://example.org") == newer
        ten_days_ago = (datetime.now(UTC) - timedelta(days=10)).isoformat(timespec="seconds")
        archive.db.execute("update page_dictionaries set created = ? where id = ?", [ten_days_ago, newer.id])
        archive.record(crawl_id, [replace(fetched("https://example.org/3/"), page_dictionary=newer)])
        assert archive.db.execute("select created from page_dictionaries where id = ?", [newer.id]).fetchone() == (ten_days_ago,)


def test_a_version_4_archive_gains_page_dictionaries_and_keeps_its_pages(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage import migrations

    with monkeypatch.context() as old:  # the archive as newsdelta with schema 4 made it
        old.setattr(migrations, "SCHEMA_VERSION", 4)
        Archive.open(db_path).close()
    with sqlite3.connect(db_path) as conn:
        assert "page_dictionary" not in [row[1] for row in conn.execute("pragma table_info(versions)")]
        conn.execute("insert into articles (id, url, site, status, content_hash) values (1, 'https://example.org/1/', 'indbiz', 'live', 'x')")
        conn.execute(
            "insert into versions (article_id, version, content_hash, raw_html, encoding) values (1, 1, 'x', ?, 'utf-8')",
            [pages.compress(page_of(1))],
        )
    conn.close()

    with Archive.open(db_path) as archive:
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [page.html for page in archive.stored_pages()] == [page_of(1)]
        dictionary = pages.PageDictionary.of("https://example.org", page_of(0))
        crawl_id = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        archive.record(crawl_id, [replace(fetched("https://example.org/2/"), page=pages.compress(page_of(2), dictionary), page_dictionary=dictionary)])
        assert {page.url: page.html for page in archive.stored_pages()} == {
            "https://example.org/1/": page_of(1), "https://example.org/2/": page_of(2)
        }
    assert db_path.with_name("archive.db.v4.bak").exists()
