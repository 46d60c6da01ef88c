"""Site profiles: what a crawl of one site needs to know, as data (one TOML file per site).

A profile names where articles are listed (sitemaps, feed, listing pages), which URLs are
articles, and the CSS selectors of each document field. Cleaning tries the profile's selectors
first (its dated redesigns newest first), then the page's metadata, then WordPress' conventions
when the profile says the site is WordPress (see `scraper.clean`).

Profiles are read from this package's `*.toml` files, then from `./sites/*.toml` and from the
folders in `$NEWSDELTA_SITES` (":"-separated): a user adds a site by adding a file.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cssselect import SelectorError
from parsel.csstranslator import HTMLTranslator


@dataclass(frozen=True)
class Selectors:
    """CSS selectors of one theme; an empty selector means "no such element in this theme"."""

    #: The element that marks a page as a single article (absent on listings and static pages).
    article: str = ""
    title: str = ""
    summary: str = ""
    #: `::attr(datetime)` of a `<time>`, or an element whose text is a date.
    published: str = ""
    modified: str = ""
    highlights: str = ""
    body: str = ""
    categories: str = ""
    tags: str = ""
    author: str = ""
    #: One entry of the sidebar's "Recent Articles"; the three below are relative to it.
    recent: str = ""
    recent_title: str = ""
    recent_date: str = ""
    recent_teaser: str = ""
    #: Elements inside the body that are not the article's words (ads, share bars, inserts).
    prune: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListingSelectors:
    """Where a listing page links to its articles and to its next page."""

    entry_link: str = ""
    entry_summary: str = ""
    next_page: str = ""


@dataclass(frozen=True)
class Redesign:
    """The site's selectors from a date on: a redesign adds one, the old ones stay for old pages."""

    since: date
    selectors: Selectors


@dataclass(frozen=True)
class SiteProfile:
    name: str
    base_url: str
    #: Matched against a URL's path: only these are fetched as articles.
    article_path: re.Pattern[str]
    selectors: Selectors = Selectors()
    listing: ListingSelectors = ListingSelectors()
    title: str = ""
    sitemaps: tuple[str, ...] = ("/wp-sitemap.xml",)
    #: Sub-sitemaps to follow from a sitemap index (posts, not pages or taxonomies); empty: all.
    sitemap_follow: tuple[str, ...] = ()
    feed: str = "/feed/"
    listings: tuple[str, ...] = ("/",)
    #: How many listing pages `latest` mode reads at most.
    latest_pages: int = 3
    #: `strptime` formats of dates printed as text (when no machine-readable date is given).
    date_formats: tuple[str, ...] = ("%B %d, %Y",)
    #: Try WordPress' class-name conventions after the profile's own selectors.
    wordpress: bool = True
    #: Only pages marked as a single article are articles (False: any page with a title and body).
    require_article_marker: bool = True
    #: Only pages that end with `</html>` are read (`scraper.clean.complete`): False for a site
    #: whose minifier leaves that optional tag out.
    require_html_end: bool = True
    redesigns: tuple[Redesign, ...] = ()
    source: str = ""

    def is_article_url(self, url: str) -> bool:
        return bool(self.article_path.match(urlsplit(url).path))

    def selector_sets(self) -> list[tuple[str, Selectors]]:
        """The profile's selectors, newest redesign first, each named for `Document.extraction`."""
        newest_first = sorted(self.redesigns, key=lambda r: r.since, reverse=True)
        return [(f"profile:{r.since.isoformat()}", r.selectors) for r in newest_first] + [("profile", self.selectors)]


class UnknownSite(LookupError):
    pass


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the field."""


# -- loading -------------------------------------------------------------------------------------

_TRANSLATOR = HTMLTranslator()
_TOP = {f.name for f in fields(SiteProfile)} - {"selectors", "listing", "redesigns", "article_path", "source"}


def load_profile(path: Path) -> SiteProfile:
    """Read and check one profile file; every error names the file and the field."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ProfileError(f"{path}: {error}") from None
    _no_unknown(path, "", data, _TOP | {"selectors", "listing", "redesigns", "article_path"})
    for required in ("name", "article_path"):
        if not data.get(required):
            raise ProfileError(f"{path}: missing field {required}")
    try:
        article_path = re.compile(data.pop("article_path"))
    except re.error as error:
        raise ProfileError(f"{path}: article_path: bad regular expression: {error}") from None
    selectors = _selectors(path, "selectors", data.pop("selectors", {}), Selectors)
    listing = _selectors(path, "listing", data.pop("listing", {}), ListingSelectors)
    redesigns = tuple(_redesign(path, index, entry) for index, entry in enumerate(data.pop("redesigns", [])))
    for name in ("sitemaps", "sitemap_follow", "listings", "date_formats"):
        if name in data:
            data[name] = tuple(data[name])
    for pattern in data.get("sitemap_follow", ()):
        _regex(path, "sitemap_follow", pattern)
    data.setdefault("base_url", "")
    return SiteProfile(
        **data, article_path=article_path, selectors=selectors, listing=listing, redesigns=redesigns, source=str(path)
    )


def _no_unknown(path: Path, prefix: str, data: dict[str, Any], known: set[str]) -> None:
    if unknown := sorted(set(data) - known):
        raise ProfileError(f"{path}: unknown field {prefix}{unknown[0]}")


def _selectors(path: Path, table: str, data: dict[str, Any], kind: type[Any]) -> Any:
    _no_unknown(path, f"{table}.", data, {f.name for f in fields(kind)})
    for name, value in data.items():
        for css in value if isinstance(value, list) else [value]:
            try:
                if css:
                    _TRANSLATOR.css_to_xpath(css)
            except (SelectorError, ValueError) as error:
                raise ProfileError(f"{path}: {table}.{name}: bad CSS selector {css!r}: {error}") from None
    if "prune" in data:
        data["prune"] = tuple(data["prune"])
    return kind(**data)


def _redesign(path: Path, index: int, entry: dict[str, Any]) -> Redesign:
    where = f"redesigns[{index}]"
    _no_unknown(path, f"{where}.", entry, {"since", "selectors"})
    since = entry.get("since")
    if not isinstance(since, date):
        raise ProfileError(f"{path}: {where}.since: a date like 2025-01-31")
    return Redesign(since=since, selectors=_selectors(path, f"{where}.selectors", entry.get("selectors", {}), Selectors))


def _regex(path: Path, name: str, pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ProfileError(f"{path}: {name}: bad regular expression {pattern!r}: {error}") from None


def profile_folders() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("NEWSDELTA_SITES", "").split(os.pathsep) if p]
    return [Path(__file__).parent, Path("sites"), *extra]


@cache
def _registry(folders: tuple[Path, ...]) -> dict[str, SiteProfile]:
    profiles: dict[str, SiteProfile] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            profile = load_profile(path)
            profiles[profile.name] = profile  # a user's file may replace a bundled profile
    return profiles


def sites() -> dict[str, SiteProfile]:
    """Every profile, by name."""
    return _registry(tuple(profile_folders()))


def get_site(name: str) -> SiteProfile:
    known = sites()
    try:
        return known[name]
    except KeyError:
        raise UnknownSite(f"unknown site {name!r} (known: {', '.join(sorted(known))})") from None


def site_for_page(url: str, html: str) -> SiteProfile:
    """`--site auto`: the profile of the URL's host, else `wordpress` for a WordPress page, else `generic`."""
    host = urlsplit(url).hostname
    for profile in sites().values():
        if profile.base_url and urlsplit(profile.base_url).hostname == host:
            return profile
    looks_wordpress = "wp-content/" in html or 'content="WordPress' in html
    return get_site("wordpress" if looks_wordpress else "generic")


def web_address(url: str) -> str:
    """`url`, if it is an absolute http(s) address with a host; one-line ValueError if not.

    Checked before a crawl starts: Scrapy would raise on the first request made from it,
    with a traceback, after the crawl's row was written.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not a web address (http:// or https:// and a host)")
    return url
