"""`clean(html, url, profile) -> Document`: pure, no network, no database.

Each field comes from the first layer that yields it:

1. ``profile``: the site profile's selectors;
2. ``metadata``: the page's JSON-LD and OpenGraph;
3. ``wordpress``: class names shared by common WordPress themes;
4. ``fallback``: the densest block of paragraphs, for a theme nobody profiled.

The page is parsed once with lxml (parsel); selectors run on its tree compiled
(`scraper.clean.select`); only the body element is handed to BeautifulSoup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

from lxml import etree
from w3lib.url import url_query_parameter

from scraper.clean.blocks import body_blocks
from scraper.clean.complete import IncompletePage, check_complete
from scraper.clean.density import main_content
from scraper.clean.errors import ExtractionError, NotAnArticle
from scraper.clean.metadata import PageMetadata, read_metadata
from scraper.clean.parse import decode, parse_page
from scraper.clean.select import Found, PageSelector, class_names, select, text_of
from scraper.document import LISTED, Document, Image, RecentArticle
from scraper.sites import Selectors, SiteProfile
from scraper.text import normalise_text

__all__ = ["WORDPRESS", "ExtractionError", "IncompletePage", "NotAnArticle", "clean", "decode"]

#: Conventions of common WordPress themes (classic and block), tried after the profile's.
WORDPRESS = Selectors(
    article="body.single-post",
    title=".entry-title, .wp-block-post-title, h1.post-title",
    summary=".entry-excerpt, .wp-block-post-excerpt, .entry-subtitle, .post-excerpt",
    published="time.entry-date::attr(datetime), .wp-block-post-date time::attr(datetime)",
    modified="time.updated::attr(datetime)",
    highlights=".key-highlights li, .highlights li",
    body=".entry-content, .wp-block-post-content, .post-content, .td-post-content, .entry-content-wrap",
    categories=".cat-links a, a[rel~='category']",
    tags=".tags-links a, a[rel='tag']",
    author=".author.vcard a, .byline a[rel='author'], a[rel='author']",
    recent=".widget_recent_entries li",
    recent_title="a",
    recent_date=".post-date",
    recent_teaser=".recent-excerpt, .post-excerpt",
)

T = TypeVar("T")


def clean(
    html: str | bytes,
    url: str,
    profile: SiteProfile | None = None,
    *,
    content_type: str | None = None,
    summary_hint: str = "",
) -> Document:
    """Clean an article page into a Document; raise `ExtractionError` if it holds no article.

    `summary_hint` is the summary the site printed elsewhere (the listing that linked here),
    used when the page itself has none.
    """
    check_complete(html, require_html_end=profile is None or profile.require_html_end)
    page = parse_page(html, content_type, url)
    meta = read_metadata(page)
    layers = profile.selector_sets() if profile else []
    if profile is None or profile.wordpress:
        layers.append(("wordpress", WORDPRESS))
    marked = meta.ld_article or any(sel.article and select(page, sel.article) for _, sel in layers)
    if not marked and (profile is None or profile.require_article_marker):
        raise NotAnArticle("not an article page")
    body_classes = _body_classes(page)
    if "post-password-required" in body_classes:
        # WordPress' class for a post whose visibility is "Password protected": its page shows
        # a password form and "Protected: TITLE". Read as it is, that would be an edit.
        raise ExtractionError("the article is password protected")
    return _Extraction(page, url, meta, layers, profile).document(summary_hint, _post_id(body_classes, meta.shortlink))


class _Extraction:
    """One page being cleaned: per field, the first layer that yields wins."""

    def __init__(
        self,
        page: etree._Element,
        url: str,
        meta: PageMetadata,
        layers: list[tuple[str, Selectors]],
        profile: SiteProfile | None,
    ) -> None:
        self.page = page
        self.select = PageSelector(page)
        self.url = url
        self.meta = meta
        self.layers = layers
        self.profile = profile
        self.sources: dict[str, str] = {}
        self.date_formats = profile.date_formats if profile else ("%B %d, %Y",)

    def document(self, summary_hint: str, post_id: str = "") -> Document:
        title = self._first("title", self._text, metadata=self.meta.title, default="") or self._fallback_title()
        if not title:
            raise ExtractionError("no title")
        body, images = self._body()
        if not body:
            raise ExtractionError("no body text")
        summary = self._first("summary", self._text, metadata=self.meta.description, default="")
        if not summary and summary_hint:
            summary, self.sources["summary"] = normalise_text(summary_hint), LISTED
        return Document(
            url=self._canonical(),
            title=title,
            body=tuple(body),
            summary=summary,
            published=_as_date(self._first("published", self._date, metadata=_parse_datetime(self.meta.published), default=None)),
            highlights=self._first("highlights", self._texts, default=()),
            categories=self._first("categories", self._texts, metadata=self.meta.section, default=()),
            recent=self._recent(),
            modified=self._first("modified", self._date, metadata=_parse_datetime(self.meta.modified), default=None),
            tags=self._first("tags", self._texts, metadata=self.meta.keywords, default=()),
            author=self._first("author", self._text, metadata=self.meta.author, default=""),
            images=tuple(images),
            language=self.meta.language,
            post_id=post_id,
            extraction=self.sources,
        )

    # -- layers ---------------------------------------------------------------------------------

    def _first(self, name: str, read: Callable[[Found], T], *, metadata: T | None = None, default: T) -> T:
        """The profile's selector, then the page's metadata, then WordPress' convention."""
        for layer, selectors in self.layers:
            if layer == "wordpress" and metadata:
                self.sources[name] = "metadata"
                return metadata
            css = getattr(selectors, name)
            if css and (value := read(self.select(css))):
                self.sources[name] = layer
                return value
        if metadata:
            self.sources[name] = "metadata"
            return metadata
        return default

    @staticmethod
    def _text(found: Found) -> str:
        return _node_text(found[0]) if found else ""

    @staticmethod
    def _texts(found: Found) -> tuple[str, ...]:
        return tuple(text for text in map(_node_text, found) if text)

    def _date(self, found: Found) -> datetime | None:
        for node in found:
            if parsed := _parse_datetime(_node_text(node), self.date_formats):
                return parsed
        return None

    def _fallback_title(self) -> str:
        """A page nobody profiled, without metadata: its first `<h1>`, else its `<title>`."""
        for css in ("h1", "title"):
            if title := self._text(self.select(css)):
                self.sources["title"] = "fallback"
                return title
        return ""

    def _body(self) -> tuple[list[str], list[Image]]:
        for layer, selectors in self.layers:
            if selectors.body and (found := self.select(selectors.body)):
                blocks, images = body_blocks(found[0], self.url, selectors.prune)
                if blocks:
                    self.sources["body"] = layer
                    return blocks, images
        if (element := main_content(self.page)) is not None:
            blocks, images = body_blocks(element, self.url)
            self.sources["body"] = "fallback"
            return blocks, images
        return [], []

    def _recent(self) -> tuple[RecentArticle, ...]:
        for layer, selectors in self.layers:
            if not selectors.recent:
                continue
            entries = [self._recent_entry(node, selectors) for node in self.select(selectors.recent)]
            if entries := [entry for entry in entries if entry is not None]:
                self.sources["recent"] = layer
                return tuple(entries)
        return ()

    def _recent_entry(self, node: etree._Element | str, selectors: Selectors) -> RecentArticle | None:
        if isinstance(node, str):  # a selector that picked text, not entries
            return None
        link = select(node, selectors.recent_title)
        title = self._text(link)
        if not title:
            return None
        href = "" if isinstance(link[0], str) else link[0].get("href", "")
        return RecentArticle(
            title=title,
            url=urljoin(self.url, href),
            published=_as_date(self._date(select(node, selectors.recent_date))) if selectors.recent_date else None,
            teaser=self._text(select(node, selectors.recent_teaser)) if selectors.recent_teaser else "",
        )

    def _canonical(self) -> str:
        """`<link rel=canonical>` when it is an article's address on the fetched host; the
        fetched URL otherwise.

        Themes and SEO plugins get it wrong: a theme that prints the home page (or a listing)
        as every article's canonical URL would otherwise file every article under that one
        address, and the archive would take them for one article edited again and again.
        """
        canonical = urljoin(self.url, self.meta.canonical) if self.meta.canonical else ""
        if canonical and urlsplit(canonical).netloc == urlsplit(self.url).netloc and self._article_address(canonical):
            return canonical.split("#")[0]
        return self.url.split("#")[0]

    def _article_address(self, url: str) -> bool:
        if self.profile is not None:
            return self.profile.is_article_url(url)
        return urlsplit(url).path not in ("", "/")


def _body_classes(page: etree._Element) -> frozenset[str]:
    body = page.find("body")
    return class_names(body.get("class") or "") if body is not None else frozenset()


def _post_id(body_classes: frozenset[str], shortlink: str) -> str:
    """WordPress' id of the post the page shows: `body_class()` prints `postid-N` on a single
    post's page, `wp_shortlink_wp_head` a `?p=N` link (themes and SEO plugins drop one or the
    other). It stays when the post's slug or the site's permalinks change."""
    for name in body_classes:
        if name.startswith("postid-") and _is_number(name[7:]):
            return name[7:]
    shortlink_id = url_query_parameter(shortlink, "p", "")
    return shortlink_id if _is_number(shortlink_id) else ""


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _node_text(node: etree._Element | str) -> str:
    """An element's text (or an attribute's value), whitespace folded."""
    return normalise_text(text_of(node))


def _parse_datetime(value: str, formats: Sequence[str] = ()) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _as_date(value: datetime | None) -> date | None:
    """The date as the site printed it: in the site's own time zone, not converted."""
    return value.date() if value else None

