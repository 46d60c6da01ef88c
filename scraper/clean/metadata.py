"""The page's own description of itself: JSON-LD, OpenGraph, `<link rel=canonical>`, `lang`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from scraper.clean.select import xpath
from scraper.text import normalise_text

ARTICLE_TYPES = frozenset({"Article", "NewsArticle", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle"})


@dataclass(frozen=True)
class PageMetadata:
    canonical: str = ""
    #: `<link rel=shortlink>`'s `href`: WordPress prints `https://site/?p=POST_ID`.
    shortlink: str = ""
    language: str = ""
    og_type: str = ""
    title: str = ""
    description: str = ""
    published: str = ""
    modified: str = ""
    section: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    author: str = ""
    #: True when JSON-LD declares the page an article of some kind.
    ld_article: bool = False


def read_metadata(page: etree._Element) -> PageMetadata:
    found = _scan(page)
    ld = _json_ld_article(found.json_ld)

    def meta(attr: str, name: str) -> str:
        return normalise_text(found.meta.get((attr, name), ""))

    language = xpath(page, "/html/@lang")
    return PageMetadata(
        canonical=found.canonical.strip(),
        shortlink=found.shortlink.strip(),
        language=(str(language[0]) if language else "") or _text(ld.get("inLanguage")),
        og_type=meta("property", "og:type"),
        title=_text(ld.get("headline")) or meta("property", "og:title"),
        description=meta("property", "og:description") or meta("name", "description") or _text(ld.get("description")),
        published=meta("property", "article:published_time") or _text(ld.get("datePublished")),
        modified=meta("property", "article:modified_time") or _text(ld.get("dateModified")),
        section=_strings(ld.get("articleSection")) or _strings(meta("property", "article:section")),
        keywords=_strings(ld.get("keywords")),
        author=_author(ld.get("author")) or meta("name", "author"),
        ld_article=bool(ld),
    )


@dataclass
class _Found:
    #: Each `<meta property|name=… content=…>`'s content, the first of each.
    meta: dict[tuple[str, str], str] = field(default_factory=dict)
    #: The first `<link rel=canonical>`'s `href`.
    canonical: str = ""
    #: The first `<link rel=shortlink>`'s `href`.
    shortlink: str = ""
    #: The text of each `<script type="application/ld+json">`.
    json_ld: list[str] = field(default_factory=list)


def _scan(page: etree._Element) -> _Found:
    """The `<meta>`, `<link>` and `<script>` elements the metadata is read from, in one walk of
    the tree by lxml: an XPath search for each kind walked the whole page once each."""
    found = _Found()
    for element in page.iter("meta", "link", "script"):
        if element.tag == "meta":
            if (content := element.get("content")) is not None:
                for attr in ("property", "name"):
                    if key := element.get(attr):
                        found.meta.setdefault((attr, key), content)
        elif element.tag == "link":
            rel, href = element.get("rel"), element.get("href")
            if rel == "canonical" and not found.canonical and href is not None:
                found.canonical = href
            elif rel == "shortlink" and not found.shortlink and href is not None:
                found.shortlink = href
        elif element.get("type") == "application/ld+json" and element.text:
            found.json_ld.append(element.text)
    return found


def _json_ld_article(scripts: list[str]) -> dict[str, Any]:
    """The first Article-like node of the page's JSON-LD (inside `@graph` too); {} if none."""
    for raw in scripts:
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        for node in _nodes(data):
            types = node.get("@type")
            types = types if isinstance(types, list) else [types]
            if ARTICLE_TYPES.intersection(t for t in types if isinstance(t, str)):
                return node
    return {}


def _nodes(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [node for item in data for node in _nodes(item)]
    if isinstance(data, dict):
        return [data, *_nodes(data.get("@graph", []))]
    return []


def _text(value: Any) -> str:
    return normalise_text(value) if isinstance(value, str) else ""


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list):
        return tuple(text for text in (_text(item) for item in value) if text)
    return ()


def _author(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _text(value.get("name"))
    return _text(value)
