"""The cleaner's shortcuts around CSS selectors find exactly what the selectors find.

`PageSelector` (a shared start searched once) exists for speed only; it is compared here with
lxml running the selector's XPath as it is, on every stored page and on hand-written edge cases.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from scraper.clean import WORDPRESS
from scraper.clean.select import PageSelector, select
from scraper.sites import sites

FIXTURES = Path(__file__).parent / "fixtures" / "indbiz"
BENCH_PAGES = Path(__file__).parent.parent / "bench" / "pages"
PAGES = sorted(FIXTURES.glob("*.html")) + sorted(BENCH_PAGES.glob("*.html"))


def every_selector() -> list[str]:
    """Every field selector of every bundled profile (redesigns too) and of WordPress' layer."""
    sets = [WORDPRESS]
    for profile in sites().values():
        sets += [profile.selectors, *(redesign.selectors for redesign in profile.redesigns)]
    found = {value for selectors in sets for value in dataclasses.astuple(selectors) if isinstance(value, str) and value}
    return sorted(found)


def tree(path: Path) -> etree._Element:
    return lxml.html.document_fromstring(path.read_bytes())


def test_there_are_pages_and_selectors_that_share_a_start() -> None:
    assert len(PAGES) >= 20
    assert any(selector.startswith("article.type-post ") for selector in every_selector())


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path.stem)
def test_a_page_selector_finds_what_the_whole_selector_finds(path: Path) -> None:
    page = tree(path)
    selector = PageSelector(page)
    for css in every_selector():
        assert selector(css) == select(page, css), css


@pytest.mark.parametrize("articles", [0, 1, 2, 3])
def test_a_shared_start_that_finds_no_or_several_elements_changes_nothing(articles: int) -> None:
    """Nested and sibling articles: the start's elements overlap, so the shortcut must not apply."""
    one = "<article class='type-post'><h1 class='entry-title'>T{n}</h1><div class='entry-content'><p>P{n}</p>{inner}</div></article>"
    inner = ""
    for n in range(articles):
        inner = one.format(n=n, inner=inner) if n % 2 else inner + one.format(n=n, inner="")
    page = lxml.html.document_fromstring(f"<html><body><div>{inner or '<p>none</p>'}</div></body></html>")
    selector = PageSelector(page)
    for css in ("article.type-post h1.entry-title", "article.type-post .entry-content p", "article.type-post > h1::text"):
        assert selector(css) == select(page, css), css
    assert len(selector("article.type-post h1.entry-title")) == articles
