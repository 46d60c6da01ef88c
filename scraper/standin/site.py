"""The stand-in's content: articles in memory, the changes tests make to them, and their pages.

The model knows nothing of HTTP; `server.py` maps requests to the pages it renders. Every change
bumps a revision so validators (ETag, Last-Modified, sitemap `lastmod`) move with the content,
as a WordPress site behind a page cache does.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any

import jinja2

#: Markups the stand-in can serve its articles in, switchable while it runs.
THEMES = ("indbiz", "twentytwentyone", "block", "indbiz-redesign")
#: How the site's sitemaps are named: WordPress core's (`/wp-sitemap.xml`) or Yoast SEO's
#: (`/sitemap_index.xml`, `/post-sitemap.xml`, `/post-sitemap2.xml`…).
SITEMAP_STYLES = ("core", "yoast")
PER_PAGE = 10
RECENT_COUNT = 3
TEASER_WORDS = 10
#: Words of WordPress' excerpt made from the body of a post that has none of its own.
EXCERPT_WORDS = 55
SITE_NAME = "IndBiz | Economic Diplomacy Division"
IST = timezone(timedelta(hours=5, minutes=30))


@dataclass
class StandinArticle:
    """One post of the stand-in. `body` blocks are plain text, or HTML when `body_is_html`."""

    slug: str
    title: str
    summary: str
    published: datetime
    categories: list[str]
    highlights: list[str]
    body: list[str]
    tags: list[str] = field(default_factory=list)
    author: str = "IndBiz Desk"
    modified: datetime | None = None
    body_is_html: bool = False
    #: For HTML bodies: the paragraphs a reader sees, written by hand (the cleaner's target).
    expected_body: list[str] = field(default_factory=list)
    #: The page's charset on the wire.
    encoding: str = "utf-8"
    revision: int = 0
    post_id: int = 0
    #: WordPress' "Password protected" visibility: the page shows a password form instead.
    password_protected: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StandinArticle:
        data = dict(data)
        data["published"] = datetime.fromisoformat(data["published"])
        if data.get("modified"):
            data["modified"] = datetime.fromisoformat(data["modified"])
        return cls(**data)

    @property
    def last_modified(self) -> datetime:
        return self.modified or self.published

    @property
    def teaser(self) -> str:
        """WordPress' `wp_trim_words(excerpt, 10, ' …')`, as the Recent Articles widget shows it."""
        words = self.summary.split()
        if len(words) <= TEASER_WORDS:
            return self.summary
        return " ".join(words[:TEASER_WORDS]) + " …"

    @property
    def excerpt(self) -> str:
        """What a listing shows: the post's summary, or for a post without one WordPress'
        `wp_trim_excerpt` of its body (55 words and " […]"), which the page does not show."""
        if self.summary:
            return self.summary
        words = " ".join(self.paragraphs).split()
        return " ".join(words[:EXCERPT_WORDS]) + (" [\u2026]" if len(words) > EXCERPT_WORDS else "")

    @property
    def paragraphs(self) -> list[str]:
        """What a reader sees of the body."""
        return list(self.expected_body) if self.body_is_html else list(self.body)


def category_slug(name: str) -> str:
    return name.lower().replace(" ", "-").replace("&", "and")


def load_bundled() -> list[StandinArticle]:
    """The articles written for the project (`content/*.json`)."""
    folder = resources.files("scraper.standin") / "content"
    articles: list[StandinArticle] = []
    for name in ("articles.json", "showcase.json"):
        articles += [StandinArticle.from_dict(d) for d in json.loads((folder / name).read_text("utf-8"))]
    return articles


def _template_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scraper.standin", "templates"),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = lambda d: f"{d:%B} {d.day}, {d.year}"
    env.filters["category_slug"] = category_slug
    env.globals["global_styles"] = _global_styles()
    return env


def _global_styles() -> str:
    """The block editor's inline stylesheet: most of a real WordPress page's weight."""
    colours = [f"c{n:03d}" for n in range(420)]
    rules = [f"body{{--wp--preset--color--{c}: #{(n * 2654435761) % 0xFFFFFF:06x};}}" for n, c in enumerate(colours)]
    rules += [f".has-{c}-color{{color: var(--wp--preset--color--{c}) !important;}}" for c in colours]
    rules += [f".has-{c}-background-color{{background-color: var(--wp--preset--color--{c}) !important;}}" for c in colours]
    return "\n".join(rules)


def _json_ld(article: StandinArticle, url: str, base_url: str) -> str:
    """Yoast's schema graph, as WordPress SEO plugins print it."""
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "@id": f"{url}#article",
                "headline": article.title,
                "description": article.summary,
                "datePublished": article.published.isoformat(),
                "dateModified": article.last_modified.isoformat(),
                "author": {"@type": "Person", "name": article.author},
                "articleSection": article.categories,
                "keywords": article.tags,
                "inLanguage": "en-US",
                "mainEntityOfPage": {"@id": url},
            },
            {"@type": "WebSite", "@id": f"{base_url}/#website", "url": f"{base_url}/", "name": SITE_NAME},
        ],
    }
    return json.dumps(graph, ensure_ascii=False).replace("</", "<\\/")


class StandinSite:
    """The articles of the stand-in and the pages made from them. Thread-safe."""

    def __init__(self, articles: Iterable[StandinArticle] | None = None) -> None:
        self._lock = threading.RLock()
        self._env = _template_env()
        self._articles: dict[str, StandinArticle] = {}
        self._gone: dict[str, int] = {}
        #: Old slug → new slug: WordPress answers an old slug with a 301 (`wp_old_slug_redirect`).
        self._moved: dict[str, str] = {}
        self.revision = 0
        #: Reads of the site so far, as view-count plugins show them on the pages (`count_views`).
        self.views = 0
        self.theme = "indbiz"
        self.sitemap_style = "core"
        #: Traps real sites set: `/page/N/` that never ends, listing links with tracking parameters.
        self.endless_pagination = False
        self.tracking_links = False
        #: Article pages name WordPress' post ID (`postid-N` on <body>), as themes calling
        #: body_class() do (`hide_post_ids`).
        self.post_ids_shown = True
        for article in load_bundled() if articles is None else articles:
            self._put(article)
        self._reindex()

    # -- reading ------------------------------------------------------------------------------

    def articles(self) -> list[StandinArticle]:
        """Newest first, as WordPress lists posts."""
        with self._lock:
            return list(self._newest_first)

    def article(self, slug: str) -> StandinArticle | None:
        with self._lock:
            return self._articles.get(slug)

    def gone_status(self, slug: str) -> int | None:
        """404 or 410 for a removed article, None if it never existed or still does."""
        return self._gone.get(slug)

    def moved_to(self, slug: str) -> str | None:
        """The slug an article renamed from `slug` has now, None if none was."""
        with self._lock:
            for _ in range(len(self._moved)):  # renamed again and again, perhaps in a circle
                slug = self._moved.get(slug, "")
                if slug in self._articles:
                    return slug
            return None

    def categories(self) -> list[str]:
        """Every page's menu lists them: kept by `_reindex`, not recounted per page (20,000 articles)."""
        with self._lock:
            return list(self._categories)

    def recent(self) -> list[StandinArticle]:
        return self._newest_first[:RECENT_COUNT]

    def etag(self, article: StandinArticle) -> str:
        """Changes with the article and with the sidebar's Recent Articles, as a page cache's would."""
        recent = ",".join(f"{a.slug}:{a.revision}" for a in self.recent())
        key = f"{article.slug}:{article.revision}:{recent}:{self.theme}:{self.views}:{self.post_ids_shown}"
        return '"' + hashlib.sha1(key.encode()).hexdigest()[:20] + '"'

    # -- changing (the API tests and the demo use) --------------------------------------------

    def set_theme(self, theme: str) -> None:
        """Serve every article in another theme's markup: a site redesign."""
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r} (one of: {', '.join(THEMES)})")
        with self._lock:
            self.theme = theme
            self._reindex()

    def hide_post_ids(self, hidden: bool = True) -> None:
        """Serve article pages without WordPress' post ID: a theme that does not call body_class()."""
        with self._lock:
            self.post_ids_shown = not hidden
            self._reindex()

    def count_views(self, reads: int = 1) -> None:
        """Readers read the site: the counters plugins print on its pages move (views, votes,
        shares), as the twentytwentyone theme's pages show them."""
        with self._lock:
            self.views += reads

    def set_sitemap_style(self, style: str) -> None:
        """Name the sitemaps as WordPress core does, or as the Yoast SEO plugin does."""
        if style not in SITEMAP_STYLES:
            raise ValueError(f"unknown sitemap style {style!r} (one of: {', '.join(SITEMAP_STYLES)})")
        with self._lock:
            self.sitemap_style = style
            self._reindex()

    def edit_paragraph(self, slug: str, index: int, text: str, *, bump_modified: bool = True) -> None:
        """Replace one body paragraph. `bump_modified=False` is a silent edit."""
        with self._lock:
            article = self._require(slug)
            body = list(article.body)
            body[index] = text
            self._update(article, bump_modified, body=body)

    def retitle(self, slug: str, title: str, *, bump_modified: bool = True) -> None:
        with self._lock:
            self._update(self._require(slug), bump_modified, title=title)

    def resummarise(self, slug: str, summary: str, *, bump_modified: bool = True) -> None:
        """Set the post's own excerpt; "" leaves the page without one."""
        with self._lock:
            self._update(self._require(slug), bump_modified, summary=summary)

    def add_article(self, article: StandinArticle) -> None:
        with self._lock:
            self._gone.pop(article.slug, None)
            self._put(article)
            self._reindex()

    def remove_article(self, slug: str, *, status: int = 404) -> StandinArticle:
        """Unpublish an article: its URL answers `status` (404, or 410 "gone") from now on."""
        with self._lock:
            article = self._articles.pop(slug)
            self._gone[slug] = status
            self._reindex()
            return article

    def protect_article(self, slug: str, protected: bool = True) -> None:
        """An editor sets the article's visibility to "Password protected" (or back to public)."""
        with self._lock:
            self._update(self._require(slug), True, password_protected=protected)

    def move_article(self, slug: str, new_slug: str, **changes: Any) -> None:
        """An editor changes the article's slug (and perhaps its title, `changes`): its old
        URL answers a 301 to the new one, as WordPress does."""
        with self._lock:
            article = self._articles.pop(self._require(slug).slug)
            self._moved[slug] = new_slug
            self._update(replace(article, slug=new_slug), True, **changes)

    def _require(self, slug: str) -> StandinArticle:
        if slug not in self._articles:
            raise KeyError(f"no article {slug!r} on the stand-in")
        return self._articles[slug]

    def _update(self, article: StandinArticle, bump_modified: bool, **changes: Any) -> None:
        modified = article.modified
        if bump_modified:
            modified = max(datetime.now(IST).replace(microsecond=0), article.last_modified + timedelta(seconds=1))
        self._articles[article.slug] = replace(article, modified=modified, revision=article.revision + 1, **changes)
        self._reindex()

    def _put(self, article: StandinArticle) -> None:
        if not article.post_id:
            article.post_id = 1000 + len(self._articles) + len(self._gone)
        self._articles[article.slug] = article

    def _reindex(self) -> None:
        self.revision += 1
        self._newest_first = sorted(self._articles.values(), key=lambda a: a.published, reverse=True)
        self._categories = sorted({c for a in self._articles.values() for c in a.categories})

    # -- pages --------------------------------------------------------------------------------

    def page_count(self, category: str | None = None) -> int:
        return max(1, math.ceil(len(self._listed(category)) / PER_PAGE))

    def _listed(self, category: str | None) -> list[StandinArticle]:
        if category is None:
            return self._newest_first
        return [a for a in self._newest_first if category in {category_slug(c) for c in a.categories}]

    def render_article(self, article: StandinArticle, base_url: str) -> str:
        url = f"{base_url}/{article.slug}/"
        template = "article.html" if self.theme.startswith("indbiz") else f"article-{self.theme}.html"
        return self._env.get_template(template).render(
            redesign=self.theme == "indbiz-redesign",
            site=self._context(base_url),
            show_post_id=self.post_ids_shown,
            article=article,
            url=url,
            json_ld=_json_ld(article, url, base_url),
            charset=article.encoding,
        )

    def render_listing(self, base_url: str, page: int, category: str | None = None) -> str | None:
        """A listing page, or None past the last page (WordPress answers 404 there)."""
        with self._lock:
            listed = self._listed(category)
            pages = self.page_count(category)
            if page < 1 or (page > pages and not self.endless_pagination) or (category and not listed):
                return None
            shown = min(page, pages)  # a trap serves its last page again for every N
            prefix = f"/category/{category}" if category else ""
            return self._env.get_template("listing.html").render(
                site=self._context(base_url),
                entries=listed[(shown - 1) * PER_PAGE : shown * PER_PAGE],
                page=page,
                pages=page + 1 if self.endless_pagination else pages,
                prefix=prefix,
                category=category,
                link_suffix="?utm_source=home&utm_medium=listing#respond" if self.tracking_links else "",
            )

    def render_about(self, base_url: str) -> str:
        return self._env.get_template("about.html").render(site=self._context(base_url))

    def render_feed(self, base_url: str) -> str:
        return self._env.get_template("feed.xml").render(
            site=self._context(base_url), entries=self._newest_first[:PER_PAGE]
        )

    def render_sitemap_index(self, base_url: str) -> str:
        return self._env.get_template("wp-sitemap.xml").render(
            site=self._context(base_url), sitemaps=self.sitemap_paths()
        )

    def sitemap_paths(self) -> list[str]:
        """The sitemaps the index lists: posts (one per `SITEMAP_PAGE_SIZE`), pages, categories."""
        pages = range(1, self.sitemap_pages() + 1)
        if self.sitemap_style == "yoast":
            posts = [f"/post-sitemap{n if n > 1 else ''}.xml" for n in pages]
            return [*posts, "/page-sitemap.xml", "/category-sitemap.xml"]
        posts = [f"/wp-sitemap-posts-post-{n}.xml" for n in pages]
        return [*posts, "/wp-sitemap-posts-page-1.xml", "/wp-sitemap-taxonomies-category-1.xml"]

    def sitemap_pages(self) -> int:
        return max(1, math.ceil(len(self._articles) / SITEMAP_PAGE_SIZE))

    def render_post_sitemap(self, base_url: str, page: int) -> str | None:
        with self._lock:
            oldest_first = self._newest_first[::-1]
            chunk = oldest_first[(page - 1) * SITEMAP_PAGE_SIZE : page * SITEMAP_PAGE_SIZE]
            if page < 1 or not chunk:
                return None
            return self._env.get_template("wp-sitemap-urlset.xml").render(
                urls=[(f"{base_url}/{a.slug}/", a.last_modified) for a in chunk]
            )

    def render_page_sitemap(self, base_url: str) -> str:
        return self._env.get_template("wp-sitemap-urlset.xml").render(
            urls=[(f"{base_url}/about-indbiz/", datetime(2019, 1, 1, tzinfo=IST))]
        )

    def render_category_sitemap(self, base_url: str) -> str:
        return self._env.get_template("wp-sitemap-urlset.xml").render(
            urls=[(f"{base_url}/category/{category_slug(c)}/", None) for c in self.categories()]
        )

    def _context(self, base_url: str) -> dict[str, Any]:
        return {
            "name": SITE_NAME,
            "url": base_url,
            "categories": self.categories(),
            "recent": self.recent(),
            "views": self.views,
            "year": max((a.published.year for a in self._newest_first[:1]), default=2024),
        }


#: WordPress core sitemaps hold up to 2,000 URLs a page.
SITEMAP_PAGE_SIZE = 2000
