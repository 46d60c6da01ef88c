"""The one-screen summary every crawl ends with."""

from __future__ import annotations

from typing import Any

COUNTS = ("new", "edited", "removed", "unchanged", "failed")


def render_summary(crawl: dict[str, Any]) -> str:
    """`crawl` is a row of the `crawls` table."""
    width = max(len(name) for name in COUNTS)
    lines = [
        f"newsdelta crawl {crawl['id']} ({crawl['mode']}, {crawl['site']}) {crawl['status']}: {crawl['base_url']}",
        *(f"  {name:<{width}}  {crawl[name] or 0:>6}" for name in COUNTS),
    ]
    if crawl.get("failed"):
        lines.append("  failures: `newsdelta failures` or the fetch_failures table")
    return "\n".join(lines)
