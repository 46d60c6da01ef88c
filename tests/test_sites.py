"""Site profiles as data, the `wordpress` and `generic` profiles, and themes nobody profiled."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from scraper.clean import clean
from scraper.sites import ProfileError, load_profile
from scraper.standin import StandinServer
from tests.support import crawl, newsdelta, open_archive

THEMES = ("indbiz", "twentytwentyone", "block")
SEED = "india-strengthens-defence-ties-with-japan-south-korea"


def hashes(db: Path) -> dict[str, str]:
    with open_archive(db) as archive:
        return {row["url"]: row["content_hash"] for row in archive.db.query("select url, content_hash from articles")}


def test_the_same_crawl_on_every_theme_gives_the_same_documents(live_site: StandinServer, tmp_path: Path) -> None:
    by_theme = {}
    for theme in THEMES:
        live_site.site.set_theme(theme)
        crawl(live_site, tmp_path / f"{theme}.db")
        by_theme[theme] = hashes(tmp_path / f"{theme}.db")
    assert len(by_theme["indbiz"]) == len(live_site.site.articles())
    assert by_theme["twentytwentyone"] == by_theme["indbiz"]
    assert by_theme["block"] == by_theme["indbiz"]


@pytest.mark.parametrize("theme", THEMES)
def test_scrape_site_auto_on_each_theme(live_site: StandinServer, theme: str) -> None:
    live_site.site.set_theme(theme)
    result = newsdelta("scrape", live_site.article_url(SEED), "--site", "auto", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    article = live_site.site.article(SEED)
    assert article is not None
    assert (document["title"], document["summary"], document["published"]) == (article.title, article.summary, "2019-09-06")
    assert (document["highlights"], document["body"], document["categories"]) == (article.highlights, article.body, article.categories)


def test_the_wordpress_profile_crawls_a_site_given_only_its_address(live_site: StandinServer, tmp_path: Path) -> None:
    live_site.site.set_theme("block")
    db = tmp_path / "wp.db"
    result = newsdelta("crawl", "--site", "wordpress", "--base-url", live_site.url, "--db", str(db))
    assert result.returncode == 0, result.stderr
    with open_archive(db) as archive:
        rows = {row["url"]: row for row in archive.db.query("select url, site, title from articles")}
    assert set(rows) == {live_site.article_url(a.slug) for a in live_site.site.articles()}  # not the About page
    assert {row["site"] for row in rows.values()} == {"wordpress"}
    assert newsdelta("crawl", "--site", "wordpress", "--db", str(db)).stderr.strip() == (
        "newsdelta: error: site profile 'wordpress' has no address of its own: give --base-url"
    )


def test_the_wordpress_profile_finds_yoast_sitemaps(live_site: StandinServer, tmp_path: Path) -> None:
    """Yoast SEO replaces core's wp-sitemap.xml by sitemap_index.xml and post-sitemapN.xml."""
    live_site.site.set_sitemap_style("yoast")
    live_site.disallow("/page/")  # listings closed to crawlers but the home page's first ten
    live_site.disallow("/category/")  # articles: the sitemaps alone find the others
    db = tmp_path / "wp.db"
    result = newsdelta("crawl", "--site", "wordpress", "--base-url", live_site.url, "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert live_site.hits[("other", 404)] == 1  # /wp-sitemap.xml, tried first, is not there
    assert live_site.hits[("listing", 200)] == 1 and live_site.hits[("sitemap", 200)] >= 2
    with open_archive(db) as archive:
        urls = {row["url"] for row in archive.db.query("select url from articles")}
    assert urls == {live_site.article_url(a.slug) for a in live_site.site.articles()}


def test_a_page_of_no_known_theme_falls_back_to_its_densest_paragraphs() -> None:
    page = """<html><head><title>Port traffic rises | Some Paper</title></head><body>
      <div class="nav"><a href="/">Home</a> <a href="/about">About</a></div>
      <div class="c1"><h1>Port traffic rises</h1>
        <div class="c2"><p>Cargo through the port rose by a tenth in the year to March, officials said.</p>
        <p>Container volumes grew fastest, helped by new berths and deeper channels.</p></div></div>
      <div class="side"><p>Subscribe</p></div></body></html>"""
    document = clean(page, "https://paper.example/port-traffic-rises", load_profile(_bundled("generic")))
    assert document.title == "Port traffic rises"
    assert document.body == (
        "Cargo through the port rose by a tenth in the year to March, officials said.",
        "Container volumes grew fastest, helped by new berths and deeper channels.",
    )
    assert (document.extraction["title"], document.extraction["body"]) == ("fallback", "fallback")


def _bundled(name: str) -> Path:
    return Path(__file__).resolve().parent.parent / "scraper" / "sites" / f"{name}.toml"


def test_a_user_adds_a_site_by_adding_a_file(live_site: StandinServer, tmp_path: Path) -> None:
    folder = tmp_path / "my-sites"
    folder.mkdir()
    profile = _bundled("indbiz").read_text().replace('name = "indbiz"', 'name = "mirror"').replace(
        'base_url = "https://indbiz.gov.in"', f'base_url = "{live_site.url}"'
    )
    (folder / "mirror.toml").write_text(profile)
    env = {"NEWSDELTA_SITES": str(folder)}
    listed = newsdelta("sites", env=env).stdout
    assert "mirror" in listed and live_site.url in listed
    db = tmp_path / "mirror.db"
    assert newsdelta("crawl", "--site", "mirror", "--db", str(db), env=env).returncode == 0
    with open_archive(db) as archive:
        assert {row["site"] for row in archive.db.query("select site from articles")} == {"mirror"}


@pytest.mark.parametrize(
    "change, message",
    [
        (("[selectors]", "[selectors]\ntitel = 'h1'"), "unknown field selectors.titel"),
        (('title = "article.type-post h1.entry-title"', 'title = "h1[[["'), "selectors.title: bad CSS selector 'h1[[['"),
        (('title = "IndBiz', 'language = "en"\ntitle = "IndBiz'), "unknown field language"),
        (("article_path = '", "article_path = '(?<"), "article_path: bad regular expression"),
    ],
    ids=["unknown-field", "bad-selector", "unknown-top-field", "bad-regex"],
)
def test_profile_errors_are_one_line_naming_the_file_and_the_field(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    folder = tmp_path / "sites"
    folder.mkdir()
    broken = folder / "broken.toml"
    broken.write_text(_bundled("indbiz").read_text().replace('name = "indbiz"', 'name = "broken"').replace(*change, 1))
    with pytest.raises(ProfileError, match="broken.toml: " + message.replace("[", r"\[").replace("(", r"\(")):
        load_profile(broken)
    result = newsdelta("sites", env={"NEWSDELTA_SITES": str(folder)})
    assert result.returncode == 1
    assert result.stderr.strip().startswith(f"newsdelta: error: {broken}: ") and result.stderr.count("\n") == 1


def test_a_dated_redesign_is_tried_first_and_named(standin: StandinServer, tmp_path: Path) -> None:
    profile_file = tmp_path / "redesigned.toml"
    profile_file.write_text(
        _bundled("indbiz").read_text()
        + '\n[[redesigns]]\nsince = 2026-01-01\n[redesigns.selectors]\ntitle = "head meta[property=\'og:title\']::attr(content)"\n'
    )
    profile = load_profile(profile_file)
    assert [name for name, _ in profile.selector_sets()] == ["profile:2026-01-01", "profile"]
    article = standin.site.article(SEED)
    assert article is not None
    document = clean(standin.site.render_article(article, standin.url), standin.article_url(SEED), profile)
    assert document.title == article.title
    assert (document.extraction["title"], document.extraction["body"]) == ("profile:2026-01-01", "profile")
    assert profile.redesigns[0].since == date(2026, 1, 1)
