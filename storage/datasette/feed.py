"""The Atom feed of flagged changes (RFC 4287), built with ElementTree so it is always valid XML.

ElementTree escapes `<`, `&` and quotes; characters XML 1.0 forbids outright (C0 controls a
badly encoded page can leave behind) are dropped here, since no escaping makes them legal.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

ATOM = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

ET.register_namespace("", ATOM)


@dataclass(frozen=True)
class Entry:
    """One change as a feed entry."""

    id: str
    title: str
    updated: str
    link: str  # the change's readable page
    related: str = ""  # the article on its site
    summary: str = ""  # plain text
    content_html: str = ""  # HTML, sent escaped (type="html")


def entry_id(article_url: str, change_id: int, detected_at: str) -> str:
    """A permanent, unique id for a change that does not depend on where Datasette is served."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{article_url}#newsdelta-change-{change_id}-{detected_at}").urn


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _add(parent: ET.Element, tag: str, text: str = "", **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _clean(v) for k, v in attributes.items()})
    if text:
        element.text = _clean(text)
    return element


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def rfc3339(timestamp: str) -> str:
    """Atom wants RFC 3339 with a zone; the archive writes UTC ISO times, a naive one is taken as UTC."""
    try:
        moment = datetime.fromisoformat(timestamp)
    except (TypeError, ValueError):
        return _now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def atom_feed(*, title: str, self_url: str, alternate_url: str, entries: Iterable[Entry], subtitle: str = "") -> bytes:
    """The feed document, UTF-8 with an XML declaration. `updated` is the newest entry's time."""
    entries = list(entries)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", self_url)
    _add(feed, "title", title)
    if subtitle:
        _add(feed, "subtitle", subtitle)
    _add(feed, "updated", max((rfc3339(e.updated) for e in entries), default="") or _now())
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=alternate_url)
    _add(_add(feed, "author"), "name", "newsdelta")
    _add(feed, "generator", "newsdelta")
    for entry in entries:
        _add_entry(feed, entry)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _add_entry(feed: ET.Element, entry: Entry) -> None:
    element = _add(feed, "entry")
    _add(element, "id", entry.id)
    _add(element, "title", entry.title, type="text")
    _add(element, "updated", rfc3339(entry.updated))
    _add(element, "link", rel="alternate", type="text/html", href=entry.link)
    if entry.related:
        _add(element, "link", rel="related", type="text/html", href=entry.related)
    if entry.summary:
        _add(element, "summary", entry.summary, type="text")
    if entry.content_html:
        _add(element, "content", entry.content_html, type="html")
