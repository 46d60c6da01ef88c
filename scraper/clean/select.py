"""CSS selectors, compiled once into lxml XPath evaluators, run on the page's lxml tree.

parsel's `.css()` compiles its XPath anew on every call and wraps every result, every text
node included, in a `Selector`. Cleaning a page asks ~40 selectors, and those wrappers were a
third of its time (bench/README.md). parsel still translates the CSS (its `::attr()` and
`::text` included) and parses the page; the evaluation is lxml's, on the bare tree. No
translated selector uses EXSLT regular expressions, so no run registers them
(`regexp=False`: ~10% of a search in a small subtree).
"""

from __future__ import annotations

from functools import lru_cache

from cssselect import parse
from cssselect.parser import CombinedSelector
from lxml import etree
from parsel.csstranslator import HTMLTranslator, css2xpath

#: What a selector finds: elements, or strings for `::attr()` / `::text`.
Found = list[etree._Element | str]

#: An element's own text, without what scripts and styles inside it hold.
_TEXT = etree.XPath(".//text()[not(ancestor::script or ancestor::style)]", smart_strings=False, regexp=False)


@lru_cache(maxsize=512)
def compiled(css: str) -> etree.XPath:
    """`css` as an XPath evaluator, relative to the element it is called on (like `.css()`)."""
    return etree.XPath(css2xpath(css), smart_strings=False, regexp=False)


def select(node: etree._Element, css: str) -> Found:
    return compiled(css)(node)


class PageSelector:
    """Selectors run on one page, where those that start alike share one search for their start.

    A profile's field selectors mostly begin with the article (`article.type-post h1…`,
    `article.type-post .entry-content`…), and each search for it walks the whole page. The
    XPath of `A B` is `A`'s followed by `/` and a path relative to each element `A` found; when
    `A` finds one element, that path run from it finds exactly what `A B` finds, in the same
    order. Otherwise (no element, or several) the whole selector runs as it is.
    """

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._starts: dict[str, Found] = {}

    def __call__(self, css: str) -> Found:
        split = _split(css)
        if split is None:
            return select(self.root, css)
        start, rest = split
        if start not in self._starts:
            self._starts[start] = _compiled_xpath(start)(self.root)
        if len(found := self._starts[start]) != 1:
            return select(self.root, css)
        return rest(found[0])


_TRANSLATOR = HTMLTranslator()


@lru_cache(maxsize=512)
def _split(css: str) -> tuple[str, etree.XPath] | None:
    """`css`'s XPath as (the XPath of its first compound selector, the rest relative to an
    element that one finds); None for a group (`a, b`) or a selector of one compound."""
    selectors = parse(css)
    if len(selectors) != 1 or not isinstance(tree := selectors[0].parsed_tree, CombinedSelector):
        return None
    while isinstance(tree, CombinedSelector):
        tree = tree.selector
    start = f"descendant-or-self::{_TRANSLATOR.xpath(tree)}"
    whole = css2xpath(css)
    if not whole.startswith(f"{start}/"):
        return None
    return start, etree.XPath(whole[len(start) + 1 :], smart_strings=False, regexp=False)


def xpath(node: etree._Element, path: str) -> Found:
    """For the few lookups CSS cannot say (`/html/@lang`, a `<meta>` by attribute value)."""
    return _compiled_xpath(path)(node)


@lru_cache(maxsize=64)
def _compiled_xpath(path: str) -> etree.XPath:
    return etree.XPath(path, smart_strings=False, regexp=False)


def text_of(node: etree._Element | str) -> str:
    """An element's text, or a selected string as it is (not yet normalised)."""
    if isinstance(node, str):
        return node
    return "".join(_TEXT(node))
