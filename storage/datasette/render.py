"""HTML for archived text: every article-derived string escaped, markup only from here.

An archive holds whatever a site printed, and a site can print `<script>` in a title. So the
text is escaped first and our own tags (`<ins>`, `<del>`, `<a>`) are added around it; links go
only to http(s) addresses, never `javascript:` or `data:`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

#: The stored diff: {field: [[op, text], …]} with op equal / insert / delete.
Diff = Mapping[str, Sequence[Sequence[str]]]

OP_TAGS = {"insert": "ins", "delete": "del"}
SAFE_SCHEMES = ("http", "https")


def parse_diff(value: Any) -> dict[str, list[list[str]]] | None:
    """A `changes.diff` cell as a diff, or None when it is not one (then Datasette shows it as is)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        diff = json.loads(value)
    except ValueError:
        return None
    if not isinstance(diff, dict) or not all(_is_ops(ops) for ops in diff.values()):
        return None
    return diff


def _is_ops(ops: Any) -> bool:
    return isinstance(ops, list) and all(
        isinstance(op, list) and len(op) == 2 and all(isinstance(part, str) for part in op) for op in ops
    )


def ops_html(ops: Sequence[Sequence[str]]) -> Markup:
    """One field's ops as inline HTML: deletions in <del>, insertions in <ins>, text escaped."""
    parts = []
    for op, words in ops:
        tag = OP_TAGS.get(op)
        parts.append(Markup(f"<{tag}>{{}}</{tag}>").format(words) if tag else escape(words))
    return Markup(" ").join(parts)


def diff_html(diff: Diff) -> Markup:
    """A whole change: one block per field, the field's name first."""
    return Markup("").join(
        Markup('<div class="nd-diff"><strong class="nd-field">{}</strong> {}</div>').format(name, ops_html(ops))
        for name, ops in diff.items()
    )


def safe_href(url: str | None) -> str | None:
    """`url` if a browser may follow it (http or https), else None: show such a URL as text only."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in SAFE_SCHEMES else None


def link(href: str, label: object) -> Markup:
    """An <a> to one of our own pages (href built by us, label escaped)."""
    return Markup('<a href="{}">{}</a>').format(href, label)
