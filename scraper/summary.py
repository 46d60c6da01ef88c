"""The one-screen summary every crawl ends with."""

from __future__ import annotations

import json
from typing import Any

COUNTS = ("new", "edited", "removed", "restored", "unchanged", "failed")

#: What a quiet crawl (`newsdelta crawl --quiet`, under cron) must still report.
NEWS = ("new", "edited", "removed", "restored", "failed", "suspect")

#: Scrapy stat: how many articles of the crawl's site the archive held when it started.
ARCHIVED_ARTICLES = "newsdelta/archived_articles"
#: Scrapy stat: how many archived articles the crawl met at a new address, and moved there.
MOVED = "newsdelta/moved"
#: Scrapy stat: the pause between requests the crawl kept for robots.txt's Crawl-delay, in seconds.
CRAWL_DELAY = "newsdelta/crawl_delay_s"

_NOTHING_FOUND = "warning: no article found: is --base-url the site's home page, and --site its profile?"
_NOTHING_TO_RECHECK = "warning: the archive holds no article of this site to recheck: crawl it in full first"


def render_summary(crawl: dict[str, Any]) -> str:
    """`crawl` is a row of the `crawls` table."""
    width = max(len(name) for name in COUNTS)
    lines = [
        f"newsdelta crawl {crawl['id']} ({crawl['mode']}, {crawl['site']}) {crawl['status']}: {crawl['base_url']}",
        *(f"  {name:<{width}}  {crawl[name] or 0:>6}" for name in COUNTS),
    ]
    if crawl.get("suspect"):
        lines.append(f"  {'suspect':<{width}}  {crawl['suspect']:>6}  (held back: `newsdelta changes --suspect`)")
    stats = _stats(crawl)
    if moved := stats.get(MOVED):
        lines.append(f"  {'moved':<{width}}  {moved:>6}  (archived articles at a new address: their rows and history followed)")
    if disallowed := stats.get("robotstxt/forbidden"):
        lines.append(f"  robots.txt disallowed {disallowed} URL(s): not fetched")
    if pause := stats.get(CRAWL_DELAY):
        lines.append(f"  robots.txt Crawl-delay: one request every {pause:g} s")
    if crawl.get("failed"):
        lines.append(f"  failures: `newsdelta failures --crawl {crawl['id']}`")
    if crawl.get("error"):
        lines.append(f"  error: {crawl['error']}")
    elif _found_nothing(crawl):
        lines.append(f"  {_NOTHING_FOUND}")
    elif _nothing_to_recheck(crawl):
        lines.append(f"  {_NOTHING_TO_RECHECK}")
    return "\n".join(lines)


def worth_reporting(crawl: dict[str, Any]) -> bool:
    """Whether a quiet crawl prints its summary: something changed, failed or was held back,
    the crawl did not end `ok`, or it found no article at all. A run that only confirmed what
    the archive holds stays silent, as cron wants."""
    return (
        crawl["status"] != "ok"
        or any(crawl.get(name) for name in NEWS)
        or _found_nothing(crawl)
        or _nothing_to_recheck(crawl)
    )


def _found_nothing(crawl: dict[str, Any]) -> bool:
    return crawl["status"] == "ok" and crawl["mode"] in ("full", "latest") and not any(crawl[n] for n in COUNTS)


def _nothing_to_recheck(crawl: dict[str, Any]) -> bool:
    """A recheck of a site the archive holds nothing of: cron set up before the first crawl."""
    return crawl["status"] == "ok" and crawl["mode"] == "recheck" and _stats(crawl).get(ARCHIVED_ARTICLES) == 0


def _stats(crawl: dict[str, Any]) -> dict[str, Any]:
    return json.loads(crawl.get("stats") or "{}")


def render_held_back(crawl: dict[str, Any], held: list[Any]) -> str:
    """The mass-change guard's warning: what it held back, and how to look and accept."""
    lines = []
    for group in held:
        if group.kind == "removed":
            lines.append(
                f"warning: {group.count} of {group.checked} articles checked would be removed: the site blocking "
                "the crawler, down behind a redirect, or moved to new addresses, not journalism? "
                "Held back as suspect: the articles stay live."
            )
            continue
        lines.append(
            f"warning: {group.count} of {group.checked} articles checked changed in the same fields "
            f"({', '.join(group.fields)}): a redesign or a cleaner bug, not journalism? Held back as suspect."
        )
    lines.append(f"  review: newsdelta changes --suspect --crawl {crawl['id']};  accept: newsdelta accept {crawl['id']}")
    return "\n".join(lines)
