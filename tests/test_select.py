"""The cleaner's shortcuts around CSS selectors find exactly what the selectors find.

`PageSelector` (a shared start searched once) and `scraper.clean.prune` (simple selectors
matched in Python) exist for speed only; each is compared here with lxml running the selector's
XPath as it is, on every stored page and on hand-written edge cases.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from scraper.clean import WORDPRESS
from scraper.clean.blocks import ALWAYS_PRUNE
from scraper.clean.prune import prune_rules
from scraper.clean.select import PageSelector, _plan, class_names, select
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


CLASS_STEP_PAGE = """<html><body>
<article class="post b"><h1 class="b title">Title</h1>
  <div class="one">only one<p>in one</p><a href="/in-one">a</a></div>
  <div class="two">first two</div><p class="two">second two<span class="two">nested two</span></p>
  <section class="box\tshare\nbar"><p class="inner">inner <a href="/x">x</a></p></section>
  <div class="nb\u00a0sp">no-break space</div><div class="dup dup">dup<i>i</i></div>
  <ul class="list"><li class="item">1</li><li class="item">2</li></ul>
</article>
<div class="one">outside the article</div>
</body></html>"""

#: Selectors whose second compound is looked up in `PageSelector`'s class index, and others.
CLASS_STEP_SELECTORS = [
    "article.post .one", "article.post .one p", "article.post .one a::attr(href)", "article.post .one::text",
    "article.post .two", "article.post .two span", "article.post .b", "article.post h1.b",
    "article.post p.b", "article.post .b.title::text", "article.post .share.bar .inner a",
    "article.post .box p", "article.post .nb", "article.post .dup i", "article.post .list li",
    "article.post ul.list > li.item", "article.post > .one", "article.post .absent li",
    "article.post div", "article.post .one, .two",
]


def test_the_class_index_finds_what_the_whole_selector_finds() -> None:
    """One match, several, nested, none; the start's own class; tag and class; odd spaces."""
    page = lxml.html.document_fromstring(CLASS_STEP_PAGE)
    selector = PageSelector(page)
    for css in CLASS_STEP_SELECTORS:
        assert selector(css) == select(page, css), css
    assert [element.text for element in selector("article.post .one")] == ["only one"]
    assert selector("article.post .one a::attr(href)") == ["/in-one"]
    assert selector("article.post .b") == select(page, "h1.title")  # not the article itself
    assert len(selector("article.post .two")) == 3


def test_the_profile_selectors_take_the_class_index() -> None:
    """So that comparing them on every stored page tests the index, not only the plain path."""
    looked_up = [css for css in every_selector() if (plan := _plan(css)) is not None and plan.then is not None]
    assert "article.type-post .entry-content" in looked_up
    assert "article.type-post .key-highlights li" in looked_up
    assert _plan("article.post > .one") is not None and _plan("article.post > .one").then is None


EDGE_CASES = """<html><body><div class="entry-content">
  <p class="Box">Capital B</p><p class="box">small b</p>
  <div class="  share\tbar\nbox  ">tabs and newlines between classes</div>
  <div class="share\u00a0bar">a no-break space is not a separator</div>
  <SPAN class="ad">an upper-case tag</SPAN><ins class="adsbygoogle x">ad</ins><ins class="other">ins</ins>
  <section class="box"><p class="inner">inside a box</p><a rel="tag" href="/t">tag</a></section>
  <!-- a comment --><?pi processing?><script>var x = 1;</script><form><input></form>
</div></body></html>"""

PRUNE_CASES = [
    ALWAYS_PRUNE,
    (*ALWAYS_PRUNE, ".sharedaddy", ".code-block", ".also-read", ".jp-relatedposts", "ins.adsbygoogle"),
    (".box",),
    (".Box", "P.box", "span", "SPAN.ad"),
    (".share.bar", "div.bar.share"),
    (".box > p", "a[rel=tag]", ":not(p)", "section .inner, ins.other"),
    ("*",),
    (),
]


@pytest.mark.parametrize("selectors", PRUNE_CASES, ids=lambda selectors: ",".join(selectors)[:40] or "none")
def test_prune_rules_match_what_the_selectors_match(selectors: tuple[str, ...]) -> None:
    pages = [lxml.html.document_fromstring(EDGE_CASES), *(tree(path) for path in PAGES)]
    for page in pages:
        for element in (page, *select(page, ".entry-content")):
            pruned = prune_rules(selectors).matching(element)
            found = [node for node in element.iter() if isinstance(node.tag, str) and node in pruned]
            expected = select(element, ", ".join(selectors)) if selectors else []
            assert found == expected


def test_simple_selectors_need_no_xpath_and_others_keep_theirs() -> None:
    rules = prune_rules((".a", "p.b.c", "SCRIPT", ".a", ".box > p", "a[rel=tag]"))
    assert rules.tags == {"script"}
    assert set(rules.by_class) == {"a", "b", "c"}
    assert rules.other == ".box > p, a[rel=tag]"


#: The XPath test every translated class selector makes (cssselect's), for the name in `@title`.
HAS_CLASS = etree.XPath("boolean(self::*[contains(concat(' ', normalize-space(@class), ' '), concat(' ', @title, ' '))])")


@pytest.mark.parametrize(
    "value",
    ["a b", "  a   b  ", "a\tb\nc", "a\fb", "a\vb", "a\x1cb", "a\xa0b", "a\u2003b", "a\x85b", "ä ü", "a", "", " "],
)
def test_class_names_are_the_names_the_class_selectors_test_for(value: str) -> None:
    """Split by `str.split()` when the value is printable (spaces only), by XPath's four
    separators otherwise: a form feed, an NBSP or an em space is part of a name."""
    parser = lxml.html.HTMLParser(encoding="utf-8")

    def has_class(name: str) -> bool:
        element = lxml.html.fragment_fromstring(f'<p class="{value}" title="{name}">x</p>'.encode(), parser=parser)
        assert (element.get("class"), element.get("title")) == (value, name)  # as a page's parser reads them
        return bool(HAS_CLASS(element))

    candidates = {*value.split(), *value.split(" "), *value.replace("\t", " ").replace("\n", " ").split(" ")} - {""}
    assert class_names(value) == {name for name in candidates if has_class(name)}
