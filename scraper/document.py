"""The document: one cleaned article, and its renderings.

A document is what a reader sees on the page, without the page's chrome. Its *content fields*
(`CONTENT_FIELDS`) alone decide whether an article changed; everything else on it is context.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

#: The fields whose change makes a new version of an article.
CONTENT_FIELDS: tuple[str, ...] = (
    "title",
    "summary",
    "published",
    "highlights",
    "body",
    "categories",
)


@dataclass(frozen=True)
class RecentArticle:
    """One entry of the page's "Recent Articles" list."""

    title: str
    url: str = ""
    published: date | None = None
    teaser: str = ""


@dataclass(frozen=True)
class Image:
    src: str
    caption: str = ""


#: `Document.extraction`'s source of a summary the page does not carry: the listing or feed
#: entry that linked to it (`clean`'s `summary_hint`).
LISTED = "listing"


@dataclass(frozen=True)
class Document:
    """A cleaned article page. Sequences are tuples so a document is hashable and immutable."""

    url: str
    title: str
    body: tuple[str, ...]
    summary: str = ""
    published: date | None = None
    highlights: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    recent: tuple[RecentArticle, ...] = ()
    modified: datetime | None = None
    tags: tuple[str, ...] = ()
    author: str = ""
    images: tuple[Image, ...] = ()
    language: str = ""
    #: The site's own id of the article, which stays when its address changes: WordPress' post
    #: ID (`postid-N` on the page's `<body>`, or its `?p=N` shortlink). "" when the page has none.
    post_id: str = ""
    #: Which cleaning layer produced each field ("profile", "metadata", "wordpress", "fallback"),
    #: or `LISTED` for a summary the page does not carry.
    extraction: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def content(self) -> dict[str, Any]:
        """The content fields as plain JSON-ready values."""
        return content_fields(to_dict(self))


def format_date(value: date | None) -> str:
    """The site's reader-facing date: "September 6, 2019"."""
    if value is None:
        return ""
    return f"{value:%B} {value.day}, {value.year}"


def render_text(doc: Document) -> str:
    """The page as a reader sees it, in the seed's layout: blocks separated by one blank line."""
    blocks: list[str] = [doc.title, doc.summary, format_date(doc.published)]
    blocks += doc.highlights
    blocks += doc.body
    if doc.recent:
        blocks.append("Recent Articles")
        for entry in doc.recent:
            blocks += [entry.title, format_date(entry.published), entry.teaser, "Read More"]
    return "\n\n".join(block for block in blocks if block)


def render_markdown(doc: Document) -> str:
    """A Markdown rendering for people who paste articles into notes and issues."""
    lines: list[str] = [f"# {doc.title}", ""]
    if doc.summary:
        lines += [f"*{doc.summary}*", ""]
    meta = [format_date(doc.published), ", ".join(doc.categories), doc.url]
    lines += [" · ".join(part for part in meta if part), ""]
    if doc.highlights:
        lines += [f"- {point}" for point in doc.highlights] + [""]
    for paragraph in doc.body:
        lines += [paragraph, ""]
    if doc.recent:
        lines += ["## Recent Articles", ""]
        for entry in doc.recent:
            link = f"[{entry.title}]({entry.url})" if entry.url else entry.title
            lines.append(f"- {link} ({format_date(entry.published)}): {entry.teaser}")
    return "\n".join(lines).rstrip() + "\n"


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _jsonable(value: Any) -> Any:
    """`dataclasses.asdict` and JSON-readiness in one pass.

    `asdict` deep-copies every string it meets; the archive converts every document it writes,
    and that copying was a third of its write time (bench/README.md). Strings, most of what a
    document holds, are passed through without a call.
    """
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [item if type(item) is str else _jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: item if type(item) is str else _jsonable(item) for key, item in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _jsonable(getattr(value, name)) for name in _field_names(type(value))}
    return value


def to_dict(doc: Document) -> dict[str, Any]:
    """JSON-ready dict: dates as ISO strings, tuples as lists."""
    return _jsonable(doc)


def content_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The content fields of a document's `to_dict`."""
    return {name: data[name] for name in CONTENT_FIELDS}


def to_json(doc: Document, indent: int | None = 2) -> str:
    return json.dumps(to_dict(doc), ensure_ascii=False, indent=indent)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def from_dict(data: dict[str, Any]) -> Document:
    """The inverse of `to_dict`."""
    return Document(
        url=data["url"],
        title=data["title"],
        body=tuple(data["body"]),
        summary=data.get("summary", ""),
        published=_date(data.get("published")),
        highlights=tuple(data.get("highlights", ())),
        categories=tuple(data.get("categories", ())),
        recent=tuple(
            RecentArticle(
                title=entry["title"],
                url=entry.get("url", ""),
                published=_date(entry.get("published")),
                teaser=entry.get("teaser", ""),
            )
            for entry in data.get("recent", ())
        ),
        modified=datetime.fromisoformat(data["modified"]) if data.get("modified") else None,
        tags=tuple(data.get("tags", ())),
        author=data.get("author", ""),
        images=tuple(Image(**image) for image in data.get("images", ())),
        language=data.get("language", ""),
        post_id=data.get("post_id", ""),
        extraction=dict(data.get("extraction", {})),
    )
