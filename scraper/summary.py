"""The one-screen summary every crawl ends with."""

from __future__ import annotations

import json
from typing import Any

COUNTS = ("new", "edited", "removed", "restored", "unchanged", "failed")


def render_summary(crawl: dict[str, Any]) -> str:
    """`crawl` is a row of the `crawls` table."""
    width = max(len(name) for name in COUNTS)
    lines = [
        f"newsdelta crawl {crawl['id']} ({crawl['mode']}, {crawl['site']}) {crawl['status']}: {crawl['base_url']}",
        *(f"  {name:<{width}}  {crawl[name] or 0:>6}" for name in COUNTS),
    ]
    if crawl.get("suspect"):
        lines.append(f"  {'suspect':<{width}}  {crawl['suspect']:>6}  (held back: `newsdelta changes --suspect`)")
    stats = json.loads(crawl.get("stats") or "{}")
    if disallowed := stats.get("robotstxt/forbidden"):
        lines.append(f"  robots.txt disallowed {disallowed} URL(s): not fetched")
    if crawl.get("failed"):
        lines.append(f"  failures: `newsdelta failures --crawl {crawl['id']}`")
    if crawl.get("error"):
        lines.append(f"  error: {crawl['error']}")
    elif crawl["status"] == "ok" and crawl["mode"] in ("full", "latest") and not any(crawl[n] for n in COUNTS):
        lines.append("  warning: no article found: is --base-url the site's home page, and --site its profile?")
    return "\n".join(lines)


def render_held_back(crawl: dict[str, Any], held: list[Any]) -> str:
    """The mass-change guard's warning: what it held back, and how to look and accept."""
    lines = []
    for group in held:
        lines.append(
            f"warning: {group.count} of {group.checked} articles checked changed in the same fields "
            f"({', '.join(group.fields)}): a redesign or a cleaner bug, not journalism? Held back as suspect."
        )
    lines.append(f"  review: newsdelta changes --suspect --crawl {crawl['id']};  accept: newsdelta accept {crawl['id']}")
    return "\n".join(lines)
