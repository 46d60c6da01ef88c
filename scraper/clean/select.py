"""CSS selectors, compiled once into lxml XPath evaluators, run on the page's lxml tree.

parsel's `.css()` compiles its XPath anew on every call and wraps every result, every text
node included, in a `Selector`. Cleaning a page asks ~40 selectors, and those wrappers were a
third of its time (bench/README.md). parsel still translates the CSS (its `::attr()` and
`::text` included) and parses the page; the evaluation is lxml's, on the bare tree. No
translated selector uses EXSLT regular expressions, so no run registers them
(`regexp=False`: ~10% of a search in a small subtree).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

from cssselect import parse
from cssselect.parser import Class, CombinedSelector, Element, Tree
from lxml import etree
from parsel.csstranslator import HTMLTranslator, css2xpath

#: What a selector finds: elements, or strings for `::attr()` / `::text`.
Found = list[etree._Element | str]

#: Class name → the elements that have it, each with all its class names, in document order.
_ClassIndex = dict[str, list[tuple[etree._Element, frozenset[str]]]]

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

    Each of those paths walks the article again, and a walk costs ~0.5 µs an element in libxml2
    (its class test is a predicate, evaluated on every element): 9 selectors were ~0.3 ms a
    page (bench/README.md). So when the path begins with a descendant that is a tag with classes
    (`A .entry-content`, `A .key-highlights li`), that descendant is looked up in an index of
    the classed elements under `A`, made once a page; only when exactly one element matches is
    the rest of the path run from it. Otherwise the path runs as it is.
    """

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._starts: dict[str, Found] = {}
        self._classed: dict[str, _ClassIndex] = {}

    def __call__(self, css: str) -> Found:
        plan = _plan(css)
        if plan is None:
            return select(self.root, css)
        if plan.start not in self._starts:
            self._starts[plan.start] = _compiled_xpath(plan.start)(self.root)
        if len(found := self._starts[plan.start]) != 1:
            return select(self.root, css)
        if plan.then is None:
            return plan.rest(found[0])
        matches = [
            element
            for element, names in self._index(plan.start, found[0]).get(plan.then.key, ())
            if plan.then.matches(element.tag, names)
        ]
        if len(matches) > 1:
            return plan.rest(found[0])
        if not matches or plan.after is None:
            return matches
        return plan.after(matches[0])

    def _index(self, start: str, element: etree._Element) -> _ClassIndex:
        """Each class name → the elements under `element` that have it, in document order."""
        if start not in self._classed:
            index: _ClassIndex = {}
            for node in _CLASSED(element):
                names = class_names(node.get("class"))
                for name in names:
                    index.setdefault(name, []).append((node, names))
            self._classed[start] = index
        return self._classed[start]


#: The elements under one that have a class attribute (the element itself left out).
_CLASSED = etree.XPath("descendant::*[@class]", smart_strings=False, regexp=False)

#: The whitespace that separates class names: XPath's `normalize-space` and CSS agree on these four.
_CLASS_SPACE = str.maketrans("\t\n\r", "   ")


def class_names(value: str) -> frozenset[str]:
    """The names in a class attribute, split as the class selectors' XPath splits them.

    `str.split()` splits on more than those four (form feed, NBSP, other Unicode spaces), but a
    printable string holds no whitespace other than the space: there it splits the same, 4x
    faster than translating the tab, CR and LF first (~35 calls a page, bench/README.md).
    """
    if value.isprintable():
        return frozenset(value.split())
    return frozenset(value.translate(_CLASS_SPACE).split(" ")) - {""}


@dataclass(frozen=True)
class Compound:
    """`tag.class.other`: a tag (None for any) with all of some classes."""

    tag: str | None
    classes: frozenset[str]

    @property
    def key(self) -> str:
        """One of its classes, to look it up by (the same one every time)."""
        return min(self.classes)

    def matches(self, tag: object, names: frozenset[str]) -> bool:
        return self.classes <= names and self.tag in (None, tag)


def compound(tree: Tree) -> Compound | None:
    """A parsed compound selector as a tag with classes, or None when it says anything more."""
    classes: list[str] = []
    while isinstance(tree, Class):
        classes.append(tree.class_name)
        tree = tree.selector
    if not isinstance(tree, Element) or tree.namespace:
        return None
    return Compound(tree.element.lower() if tree.element else None, frozenset(classes))


_TRANSLATOR = HTMLTranslator()


@dataclass(frozen=True)
class _Plan:
    """How `PageSelector` runs a selector `A B…`."""

    #: The XPath of `A`, searched once a page.
    start: str
    #: The XPath of the rest, relative to the one element `start` finds.
    rest: etree.XPath
    #: When the rest begins with a descendant `B` that is a tag with classes: `B`, and what
    #: follows it, relative to the one element `B` matches (None: nothing follows).
    then: Compound | None = None
    after: etree.XPath | None = None


@lru_cache(maxsize=512)
def _plan(css: str) -> _Plan | None:
    """`css`'s XPath taken apart at its first compound selectors; None for a group (`a, b`),
    a selector of one compound, or an XPath that does not take apart as expected."""
    selectors = parse(css)
    if len(selectors) != 1 or not isinstance(tree := selectors[0].parsed_tree, CombinedSelector):
        return None
    while isinstance(tree.selector, CombinedSelector):
        tree = tree.selector
    start = f"descendant-or-self::{_TRANSLATOR.xpath(tree.selector)}"
    whole = css2xpath(css)
    if not whole.startswith(f"{start}/"):
        return None
    rest = whole[len(start) + 1 :]
    plan = _Plan(start, _compiled_rest(rest))
    then = compound(tree.subselector) if tree.combinator == " " else None
    if then is None or not then.classes:
        return plan
    step = f"descendant-or-self::{_TRANSLATOR.xpath(tree)}"[len(start) + 1 :]  # `A B` less `A/`
    if rest == step:
        return dataclasses.replace(plan, then=then)
    if rest.startswith(f"{step}/"):
        return dataclasses.replace(plan, then=then, after=_compiled_rest(rest[len(step) + 1 :]))
    return plan


def _compiled_rest(path: str) -> etree.XPath:
    return etree.XPath(path, smart_strings=False, regexp=False)


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
