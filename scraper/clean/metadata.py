"""The page's own description of itself: JSON-LD, OpenGraph, `<link rel=canonical>`, `lang`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lxml import etree

from scraper.clean.select import xpath
from scraper.text import normalise_text

ARTICLE_TYPES = frozenset({"Article", "NewsArticle", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle"})


@dataclass(frozen=True)
class PageMetadata:
    canonical: str = ""
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
    ld = _json_ld_article(page)

    tags = _meta_tags(page)

    def first(path: str) -> str:
        found = xpath(page, path)
        return str(found[0]) if found else ""

    def meta(attr: str, name: str) -> str:
        return normalise_text(tags.get((attr, name), ""))

    return PageMetadata(
        canonical=first("//link[@rel='canonical']/@href").strip(),
        language=first("/html/@lang") or _text(ld.get("inLanguage")),
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


def _meta_tags(page: etree._Element) -> dict[tuple[str, str], str]:
    """Each `<meta property|name=… content=…>`'s content, the first of each: one pass for all."""
    tags: dict[tuple[str, str], str] = {}
    for element in xpath(page, "//meta[@content]"):
        for attr in ("property", "name"):
            if key := element.get(attr):
                tags.setdefault((attr, key), element.get("content"))
    return tags


def _json_ld_article(page: etree._Element) -> dict[str, Any]:
    """The first Article-like node of the page's JSON-LD (inside `@graph` too); {} if none."""
    for raw in xpath(page, "//script[@type='application/ld+json']/text()"):
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
