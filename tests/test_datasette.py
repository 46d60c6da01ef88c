"""`newsdelta serve`'s Datasette: canned queries, search, readable diffs and the Atom feed.

One archive for the module, built as a user's is: the stand-in crawled, then edited (an article
reworded, a hostile article reworded, one article taken down) and crawled again. Requests go
through Datasette's own test client (`datasette.client`, async; run with `asyncio.run`).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from markupsafe import escape

from scraper.document import render_text
from scraper.serve import build_datasette, load_metadata
from scraper.standin import StandinArticle, StandinServer, StandinSite
from scraper.standin.site import IST
from storage import pages, queries
from storage.archive import Archive, Fetched
from storage.datasette.feed import ATOM
from tests.support import crawl, newsdelta, open_archive

PROBE_SLUG = "probe-hostile-markup-in-an-article"
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
JS_LINK = '<a href="javascript:window.__pwned=1">the full statement</a>'
#: Words the edit puts in; the word it takes out is the middle one of the first paragraph.
INSERTED = "quietly amended"
A = "{" + ATOM + "}"


def hostile_article() -> StandinArticle:
    """An article whose text is markup: an archive must show it as text, never run it."""
    return StandinArticle(
        slug=PROBE_SLUG,
        title=f"{SCRIPT} Trade envoys meet in Delhi",
        summary=f"Envoys met; {IMG} was in the summary.",
        published=datetime(2024, 12, 30, 10, 0, tzinfo=IST),
        categories=["Economy"],
        highlights=[f"A highlight with {SCRIPT} in it."],
        body=[f"{IMG} Envoys from twelve countries met in Delhi on Monday.", f"Read {JS_LINK} on the ministry site."],
    )


@dataclass(frozen=True)
class Built:
    """What `build_archive` did, for tests to look for."""

    path: Path
    edited_url: str
    deleted_word: str
    probe_url: str
    removed_url: str


def _reword(site: StandinSite, slug: str) -> str:
    """Replace the middle word of paragraph 0 by INSERTED: one deletion, one insertion, context around."""
    article = site.article(slug)
    assert article is not None
    words = article.paragraphs[0].split()
    middle = len(words) // 2
    site.edit_paragraph(slug, 0, " ".join([*words[:middle], INSERTED, *words[middle + 1 :]]))
    return words[middle]


def build_archive(path: Path) -> Built:
    """Crawl the stand-in plus a hostile article, edit two articles and remove one, crawl again."""
    with StandinServer(StandinSite()) as server:
        site = server.site
        site.add_article(hostile_article())
        crawl(server, path)
        plain = [a for a in site.articles() if not a.body_is_html and a.slug != PROBE_SLUG]
        edited, removed = plain[1], plain[-1]
        deleted_word = _reword(site, edited.slug)
        _reword(site, PROBE_SLUG)
        site.remove_article(removed.slug, status=410)
        second = crawl(server, path)
        assert (second["edited"], second["removed"]) == (2, 1), second
        return Built(path, server.article_url(edited.slug), deleted_word, server.article_url(PROBE_SLUG), server.article_url(removed.slug))


def add_records_that_are_no_flags(path: Path, url: str) -> dict[str, int]:
    """A running crawl's edit, a held-back (suspect) edit and a re-clean, each of the article's
    latest version (as the archive writes them: a version and its change): none is a flag."""
    with sqlite3.connect(path) as conn:
        article_id = conn.execute("select id from articles where url = ?", [url]).fetchone()[0]
        version_id = conn.execute("select max(id) from versions where article_id = ?", [article_id]).fetchone()[0]
        finished = conn.execute("select max(id) from crawls").fetchone()[0]
        running = conn.execute(
            "insert into crawls (site, trigger, mode, started, status) values ('indbiz', 'cli', 'full', ?, 'running')",
            [datetime.now(IST).isoformat(timespec="seconds")],
        ).lastrowid
        ids: dict[str, int] = {}
        for name, kind, crawl_id in [("running", "edited", running), ("suspect", "suspect", finished), ("recleaned", "recleaned", finished)]:
            ids[name] = int(conn.execute(
                "insert into changes (article_id, version_id, crawl_id, kind, fields, detected_at) values (?, ?, ?, ?, '[\"body\"]', ?)",
                [article_id, version_id, crawl_id, kind, datetime.now(IST).isoformat(timespec="seconds")],
            ).lastrowid or 0)
    return ids


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_archive(tmp_path_factory.mktemp("datasette") / "archive.db")


@pytest.fixture(scope="module")
def no_flags(built: Built) -> dict[str, int]:
    return add_records_that_are_no_flags(built.path, built.edited_url)


@pytest.fixture(scope="module")
def datasette(built: Built, no_flags: dict[str, int]) -> Any:
    return build_datasette(built.path)


def get(datasette: Any, path: str) -> httpx.Response:
    response = asyncio.run(datasette.client.get(path))
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response


def rows(datasette: Any, query: str, **params: str) -> list[dict[str, Any]]:
    qs = "".join(f"&{name}={quote(value)}" for name, value in params.items())
    return get(datasette, f"/archive/{query}.json?_shape=array{qs}").json()


def flags(built: Built, **filters: Any) -> list[dict[str, Any]]:
    with open_archive(built.path) as archive:
        return queries.changes(archive, limit=200, **filters)


# -- canned queries -----------------------------------------------------------------------------


def test_latest_changes_are_the_flags_of_finished_crawls(datasette: Any, built: Built, no_flags: dict[str, int]) -> None:
    got = rows(datasette, "recent_changes")
    expected = flags(built)
    assert [(r["change_id"], r["kind"], r["url"], r["title"], r["why"]) for r in got] == [
        (r["id"], r["kind"], r["url"], r["title"], r["reason"]) for r in expected
    ]
    assert [r["why"] for r in got if r["kind"] == "removed"] == ["HTTP 410"]
    assert {r["kind"] for r in got} == {"new", "edited", "removed"}
    assert not set(no_flags.values()) & {r["change_id"] for r in got}
    assert got[0]["change_id"] > got[-1]["change_id"]  # newest first


def test_edited_in_the_last_7_days(datasette: Any, built: Built, tmp_path: Path) -> None:
    got = rows(datasette, "edited_this_week")
    assert [r["change_id"] for r in got] == [r["id"] for r in flags(built, kind="edited")]
    assert {r["url"] for r in got} == {built.edited_url, built.probe_url}
    older = tmp_path / "archive.db"
    with sqlite3.connect(built.path) as source, sqlite3.connect(older) as copy:
        source.backup(copy)
        copy.execute("update changes set detected_at = datetime('now', '-8 days') where id = ?", [got[0]["change_id"]])
    assert [r["change_id"] for r in rows(build_datasette(older), "edited_this_week")] == [got[1]["change_id"]]


def test_history_of_one_article_by_url(datasette: Any, built: Built) -> None:
    got = rows(datasette, "article_history", url=built.edited_url)
    assert [(r["version"], r["kind"]) for r in got] == [(1, "new"), (2, "edited")]
    with open_archive(built.path) as archive:
        history = queries.history(archive, built.edited_url)
    assert [(r["version"], r["kind"]) for r in got] == [(r["version"], r["kind"]) for r in history if r["kind"] in queries.FLAGS]
    assert [r["same_as"] for r in got] == [r["same_as"] for r in history if r["kind"] in queries.FLAGS] == [None, None]
    assert [r["kind"] for r in history if r["kind"] not in queries.FLAGS] == ["suspect", "recleaned"]  # not the running crawl's
    assert rows(datasette, "article_history", url="https://nowhere.example/") == []


def test_a_version_that_repeats_an_earlier_one_names_it(built: Built, tmp_path: Path) -> None:
    """The canned queries spell `same_as` as storage.queries does: checked on an edit undone."""
    undone = tmp_path / "archive.db"
    with sqlite3.connect(built.path) as source, sqlite3.connect(undone) as copy:
        source.backup(copy)
        article_id, crawl_id = copy.execute(
            "select articles.id, max(crawl_id) from articles join versions on article_id = articles.id where url = ?",
            [built.edited_url],
        ).fetchone()
        copy.execute(  # version 3: version 1's content back
            """insert into versions (article_id, version, title, content_hash, crawl_id, fetched_at, origin)
               select article_id, 3, title, content_hash, ?, fetched_at, origin from versions
               where article_id = ? and version = 1""",
            [crawl_id, article_id],
        )
        copy.execute(
            "insert into changes (article_id, version_id, crawl_id, kind, fields, detected_at) values (?, ?, ?, 'edited', '[\"title\"]', datetime('now'))",
            [article_id, copy.execute("select max(id) from versions").fetchone()[0], crawl_id],
        )
    datasette = build_datasette(undone)
    history = rows(datasette, "article_history", url=built.edited_url)
    assert [(r["version"], r["same_as"]) for r in history] == [(1, None), (2, None), (3, 1)]
    latest = rows(datasette, "recent_changes")[0]
    assert (latest["url"], latest["version"], latest["same_as"]) == (built.edited_url, 3, 1)
    with open_archive(undone) as archive:
        assert [r["same_as"] for r in queries.history(archive, built.edited_url) if r["kind"] in queries.FLAGS] == [None, None, 1]


def test_an_article_that_moved_is_found_by_its_old_url_and_says_where_each_version_was_fetched(built: Built, tmp_path: Path) -> None:
    """The slug changed: the row follows the post ID (`Archive.record`). Its history is found
    by the old address too, as the CLI finds it, and each version says where it was fetched."""
    moved = tmp_path / "archive.db"
    with sqlite3.connect(built.path) as source, sqlite3.connect(moved) as copy:
        source.backup(copy)
    new_url = built.edited_url.rstrip("/") + "-renamed/"
    with Archive.open(moved) as archive:
        document = queries.document(archive, built.edited_url)
        crawl_id = archive.start_crawl(site="indbiz", mode="full", trigger="cli")
        (outcome,) = archive.record(crawl_id, [Fetched(replace(document, url=new_url), pages.compress(b"<html></html>"), "indbiz")])
        archive.finish_crawl(crawl_id, status="ok")
    assert (outcome.kind, outcome.moved_from) == ("unchanged", built.edited_url)
    datasette = build_datasette(moved)
    by_old, by_new = (rows(datasette, "article_history", url=url) for url in (built.edited_url, new_url))
    assert by_old == by_new and [(r["version"], r["fetched_at_url"]) for r in by_new] == [(1, built.edited_url), (2, built.edited_url)]
    with open_archive(moved) as archive:
        assert [r["fetched_at_url"] for r in queries.history(archive, built.edited_url) if r["kind"] in queries.FLAGS] == [built.edited_url] * 2
    page = get(datasette, f"/-/newsdelta/versions/{by_new[0]['version_id']}").text
    assert f"at {escape(built.edited_url)}, before the article moved" in page


def test_removed_articles(datasette: Any, built: Built) -> None:
    got = rows(datasette, "removed_articles")
    assert [r["url"] for r in got] == [r["url"] for r in flags(built, kind="removed")] == [built.removed_url]
    assert got[0]["why"] == "HTTP 410"


def test_held_back_lists_what_the_mass_change_guard_held_back(datasette: Any, built: Built, no_flags: dict[str, int], tmp_path: Path) -> None:
    got = rows(datasette, "held_back")
    assert [(r["change_id"], r["held"], r["url"], r["why"]) for r in got] == [(no_flags["suspect"], "edit", built.edited_url, None)]
    storm = tmp_path / "archive.db"  # Datasette names a database by its file
    with StandinServer(StandinSite()) as server:
        first = crawl(server, storm)
        server.fail("*", 410)
        crawl(server, storm)
    held = rows(build_datasette(storm), "held_back")
    with open_archive(storm) as archive:
        expected = queries.changes(archive, suspect=True, limit=1000)
    assert [(r["change_id"], r["url"], r["why"]) for r in held] == [(r["id"], r["url"], r["reason"]) for r in expected]
    assert len(held) == first["new"] and {(r["held"], r["why"]) for r in held} == {("removal", "HTTP 410")}


def test_crawl_runs_with_counts(datasette: Any, built: Built) -> None:
    got = rows(datasette, "crawl_runs")
    with open_archive(built.path) as archive:
        crawls = list(archive.db.query("select * from crawls order by id desc"))
    assert [(r["id"], r["status"]) for r in got] == [(c["id"], c["status"]) for c in crawls]
    second = next(r for r in got if r["id"] == 2)
    assert (second["edited"], second["removed"], second["status"]) == (2, 1, "ok")
    assert second["seconds"] >= 0


def test_search_finds_an_article_by_a_body_word(datasette: Any, built: Built) -> None:
    assert built.edited_url in [r["url"] for r in rows(datasette, "search_articles", q="quietly")]
    assert built.edited_url in [r["url"] for r in rows(datasette, "search_articles", q="QUIETLY amended")]
    assert rows(datasette, "search_articles", q='co-operation "unbalanced') == []
    assert rows(datasette, "search_articles", q="") == []


def test_the_search_box_on_articles(datasette: Any, built: Built) -> None:
    found = get(datasette, "/archive/articles.json?_search=quietly&_shape=array").json()
    assert {r["url"] for r in found} == {built.edited_url, built.probe_url}
    page = get(datasette, "/archive/articles").text
    assert 'name="_search"' in page


def test_canned_queries_and_tables_are_described(datasette: Any) -> None:
    metadata = get(datasette, "/-/metadata.json").json()
    database = metadata["databases"]["archive"]
    assert metadata["title"] and metadata["description"]
    assert set(database["queries"]) == {
        "recent_changes", "edited_this_week", "article_history", "removed_articles", "held_back", "crawl_runs",
        "search_articles",
    }
    with open_archive(Path(datasette.databases["archive"].path)) as archive:
        for table in ("articles", "versions", "page_dictionaries", "changes", "crawls", "fetch_failures"):
            assert set(database["tables"][table]["columns"]) == set(archive.db[table].columns_dict), table
            assert database["tables"][table]["description"], table


def test_facets_and_newest_first(datasette: Any) -> None:
    changes = get(datasette, "/archive/changes.json?_shape=objects").json()
    assert {"kind", "significance", "crawl_id"} <= set(changes["facet_results"])
    ids = [r["id"] for r in changes["rows"]]
    assert ids == sorted(ids, reverse=True)
    articles = get(datasette, "/archive/articles.json?_shape=objects").json()
    assert {"site", "status", "categories"} <= set(articles["facet_results"])


@pytest.mark.parametrize(
    "page",
    ["", "/archive", "/archive/articles", "/archive/versions", "/archive/changes", "/archive/crawls",
     "/archive/fetch_failures", "/archive/latest_changes", "/archive/recent_changes", "/archive/edited_this_week",
     "/archive/article_history", "/archive/removed_articles", "/archive/held_back", "/archive/crawl_runs",
     "/archive/search_articles"],
)
def test_every_page_renders(datasette: Any, page: str) -> None:
    assert "</html>" in get(datasette, page or "/").text


def test_metadata_follows_the_file_name(built: Built, tmp_path: Path) -> None:
    renamed = tmp_path / "news.db"
    with sqlite3.connect(built.path) as source, sqlite3.connect(renamed) as copy:
        source.backup(copy)
    assert set(load_metadata("news")["databases"]) == {"news"}
    datasette = build_datasette(renamed)
    assert get(datasette, "/news/recent_changes.json?_shape=array").json()
    assert "<ins>" in get(datasette, "/news/recent_changes").text


# -- readable pages -----------------------------------------------------------------------------


def edited_change(built: Built, url: str) -> int:
    return next(r["id"] for r in flags(built, kind="edited") if r["url"] == url)


def test_a_change_page_marks_insertions_and_deletions(datasette: Any, built: Built) -> None:
    page = get(datasette, f"/-/newsdelta/changes/{edited_change(built, built.edited_url)}").text
    assert f"<del>{escape(built.deleted_word)}</del>" in page
    assert f"<ins>{INSERTED}</ins>" in page
    assert 'type="application/atom+xml"' in page


def test_diffs_are_readable_in_tables_and_queries(datasette: Any, built: Built) -> None:
    change_id = edited_change(built, built.edited_url)
    assert f"<ins>{INSERTED}</ins>" in get(datasette, f"/archive/changes/{change_id}").text
    listing = get(datasette, "/archive/recent_changes").text
    assert f"<ins>{INSERTED}</ins>" in listing
    assert f'href="/-/newsdelta/changes/{change_id}"' in listing
    assert "newsdelta.css" in listing
    assert get(datasette, "/-/static-plugins/storage.datasette/newsdelta.css").text.count("ins")


def test_a_version_page_is_the_site_text_layout(datasette: Any, built: Built) -> None:
    with open_archive(built.path) as archive:
        version_id = next(archive.db.query(
            "select versions.id from versions join articles on articles.id = article_id where url = ? and version = 1",
            [built.edited_url],
        ))["id"]
        text = render_text(queries.document(archive, built.edited_url, 1))
    page = get(datasette, f"/-/newsdelta/versions/{version_id}").text
    assert str(escape(text)) in page
    assert built.deleted_word in text


def test_a_versions_page_as_fetched_is_served_sandboxed_and_fetching_nothing(datasette: Any, built: Built) -> None:
    """The archived page, byte for byte (stored against a page of its site, so the blob alone
    reads with no plain `zstd -d`), in a sandbox: the theme's scripts do not run, and the page
    has no origin of Datasette's to read; nothing is fetched from the live site."""
    with open_archive(built.path) as archive:
        (version_id,) = archive.db.execute(
            "select versions.id from versions join articles on articles.id = article_id where url = ? and version = 1",
            [built.edited_url],
        ).fetchone()
        expected = queries.page(archive, built.edited_url, 1)
    assert b"<script" in expected and built.deleted_word.encode() in expected  # the page, before its edit
    version_page = get(datasette, f"/-/newsdelta/versions/{version_id}").text
    assert f'href="/-/newsdelta/versions/{version_id}/page"' in version_page
    served = get(datasette, f"/-/newsdelta/versions/{version_id}/page")
    assert served.content == expected
    assert served.headers["content-type"] == "text/html; charset=utf-8"
    policy = [part.strip() for part in served.headers["content-security-policy"].split(";")]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert served.headers["x-content-type-options"] == "nosniff"
    assert asyncio.run(datasette.client.get("/-/newsdelta/versions/999999/page")).status_code == 404


@pytest.mark.parametrize("path", ["change", "version", "/archive/recent_changes", "/archive/articles", "/archive/versions"])
def test_hostile_text_is_escaped_everywhere(datasette: Any, built: Built, path: str) -> None:
    with open_archive(built.path) as archive:
        version_id = next(archive.db.query(
            "select max(versions.id) as id from versions join articles on articles.id = article_id where url = ?", [built.probe_url]
        ))["id"]
    path = {"change": f"/-/newsdelta/changes/{edited_change(built, built.probe_url)}", "version": f"/-/newsdelta/versions/{version_id}"}.get(path, path)
    page = get(datasette, path).text
    assert "window.__pwned" in page  # the text is there…
    for raw in ("<script>window", "<img src=x", "onerror=\"", "href=\"javascript:"):
        assert raw not in page, (path, raw)  # …as text only


def test_unknown_pages_are_404(datasette: Any) -> None:
    for path in ("/-/newsdelta/changes/999999", "/-/newsdelta/versions/999999"):
        assert asyncio.run(datasette.client.get(path)).status_code == 404
    assert asyncio.run(datasette.client.get("/-/newsdelta/changes.atom?kind=suspect")).status_code == 400


# -- the feed -----------------------------------------------------------------------------------


def text(element: ET.Element, tag: str) -> str:
    return element.findtext(f"{A}{tag}") or ""


def href(entry: ET.Element, rel: str) -> str:
    found = entry.find(f"{A}link[@rel='{rel}']")
    return found.get("href", "") if found is not None else ""


def test_the_atom_feed_parses_and_lists_the_change(datasette: Any, built: Built) -> None:
    response = get(datasette, "/-/newsdelta/changes.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{A}feed"
    assert text(root, "id") and text(root, "title") and text(root, "updated")
    entries = root.findall(f"{A}entry")
    assert len(entries) == len(flags(built)[:50])
    change_id = edited_change(built, built.edited_url)
    entry = next(e for e in entries if href(e, "alternate").endswith(f"/-/newsdelta/changes/{change_id}"))
    assert text(entry, "title").startswith("edited: ")
    assert href(entry, "related") == built.edited_url
    assert f"<ins>{INSERTED}</ins>" in text(entry, "content")
    probe = next(e for e in entries if href(e, "related") == built.probe_url)
    assert SCRIPT in text(probe, "title")  # type="text": a reader shows it as text
    html = text(probe, "content")  # type="html": a reader renders it, so it is escaped
    assert "window.__pwned" in html and "<script" not in html and "<img" not in html
    ids = [text(e, "id") for e in entries]
    assert len(ids) == len(set(ids)) and all(i.startswith("urn:uuid:") for i in ids)


def test_the_feed_for_one_kind(datasette: Any, built: Built) -> None:
    root = ET.fromstring(get(datasette, "/-/newsdelta/changes.atom?kind=edited").content)
    titles = [text(e, "title") for e in root.findall(f"{A}entry")]
    assert len(titles) == 2 and all(t.startswith("edited: ") for t in titles)


# -- without the extras; the command ------------------------------------------------------------


def test_plain_datasette_serves_the_archive(built: Built) -> None:
    """`datasette archive.db` without newsdelta's metadata or plugin, in its own process."""
    command = [str(Path(sys.executable).with_name("datasette")), str(built.path), "--get"]
    latest = subprocess.run([*command, "/archive/latest_changes.json?_shape=array"], capture_output=True, text=True, timeout=60, check=False)
    assert latest.returncode == 0, latest.stderr
    assert {row["kind"] for row in json.loads(latest.stdout)} == {"new", "edited", "removed"}
    found = subprocess.run([*command, "/archive/articles.json?_search=quietly&_shape=array"], capture_output=True, text=True, timeout=60, check=False)
    assert built.edited_url in {row["url"] for row in json.loads(found.stdout)}


def test_serve_refuses_a_missing_archive_in_one_line(tmp_path: Path) -> None:
    result = newsdelta("serve", "--db", str(tmp_path / "missing.db"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no archive here" in result.stderr


def test_serve_help_names_its_options() -> None:
    help_text = newsdelta("serve", "--help").stdout
    assert all(option in help_text for option in ("--db", "--port", "--host"))



def test_serve_answers_a_mistyped_url_with_a_404_and_no_traceback(built: Built) -> None:
    """Datasette printed a Rich traceback with every local, ~60 lines, for each 404."""
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("newsdelta")), "serve", "--db", str(built.path), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split(" at ", 1)[1].split()[0]  # printed once it listens
        for path in ("nosuch", "archive/nosuch", "archive/articles/999999"):
            assert httpx.get(f"{url}{path}", timeout=30).status_code == 404
        assert httpx.get(f"{url}archive/articles.json?_shape=array&_size=1", timeout=10).status_code == 200
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    assert "Traceback" not in out + err and "Error" not in out + err, err
