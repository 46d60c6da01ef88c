"""CSS selectors, compiled once into lxml XPath evaluators, run on the page's lxml tree.

parsel's `.css()` compiles its XPath anew on every call and wraps every result, every text
node included, in a `Selector`. Cleaning a page asks ~40 selectors, and those wrappers were a
third of its time (bench/README.md). parsel still translates the CSS (its `::attr()` and
`::text` included) and parses the page; the evaluation is lxml's, on the bare tree.
"""

from __future__ import annotations

from functools import lru_cache

from lxml import etree
from parsel.csstranslator import css2xpath

#: What a selector finds: elements, or strings for `::attr()` / `::text`.
Found = list[etree._Element | str]

#: An element's own text, without what scripts and styles inside it hold.
_TEXT = etree.XPath(".//text()[not(ancestor::script or ancestor::style)]", smart_strings=False)


@lru_cache(maxsize=512)
def compiled(css: str) -> etree.XPath:
    """`css` as an XPath evaluator, relative to the element it is called on (like `.css()`)."""
    return etree.XPath(css2xpath(css), smart_strings=False)


def select(node: etree._Element, css: str) -> Found:
    return compiled(css)(node)


def xpath(node: etree._Element, path: str) -> Found:
    """For the few lookups CSS cannot say (`/html/@lang`, a `<meta>` by attribute value)."""
    return _compiled_xpath(path)(node)


@lru_cache(maxsize=64)
def _compiled_xpath(path: str) -> etree.XPath:
    return etree.XPath(path, smart_strings=False)


def text_of(node: etree._Element | str) -> str:
    """An element's text, or a selected string as it is (not yet normalised)."""
    if isinstance(node, str):
        return node
    return "".join(_TEXT(node))
