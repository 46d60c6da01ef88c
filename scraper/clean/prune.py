"""Which elements of the body are never prose: the prune selectors, matched in one walk.

Prune lists are mostly bare tags (`script`) and classes (`.sharedaddy`, `ins.adsbygoogle`).
Run as XPath, each of them walks the body once more, and libxml2's class test (`normalize-space`,
`concat`, `contains` on every element) is the slowest part of it: the ~20 selectors of a page
cost more than building its soup (bench/README.md). Those simple selectors are matched here,
while the body is walked anyway, against a set of tags and an index of class names; any other
selector (`a[rel=tag]`, `.box > p`, `:not(…)`) is still run by lxml, once, as XPath.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from cssselect import parse
from cssselect.parser import Class, Element, Selector
from lxml import etree

from scraper.clean.select import select

#: The whitespace that separates class names: XPath's `normalize-space` and CSS agree on these four.
_CLASS_SPACE = str.maketrans("\t\n\r", "   ")


@dataclass(frozen=True)
class _Compound:
    """`tag.class.other`: a tag (None for any) with all of some classes."""

    tag: str | None
    classes: frozenset[str]


@dataclass(frozen=True)
class PruneRules:
    """A list of prune selectors, sorted for matching (`prune_rules`)."""

    tags: frozenset[str]
    #: Each class name → the compounds that need it (one lookup per class an element has).
    by_class: dict[str, tuple[_Compound, ...]]
    #: The selectors that are not simple, as one CSS group for lxml ("" when there are none).
    other: str

    def matching(self, element: etree._Element) -> Pruned:
        """What the rules match in `element`'s subtree, `element` included."""
        return Pruned(self, frozenset(select(element, self.other)) if self.other else frozenset())


@dataclass(frozen=True)
class Pruned:
    """The rules applied to one subtree: `element in pruned` for each element of it."""

    rules: PruneRules
    #: The elements the non-simple selectors matched.
    found: frozenset[etree._Element]

    def __contains__(self, element: etree._Element) -> bool:
        if element.tag in self.rules.tags or element in self.found:
            return True
        names = element.get("class")
        if not names or not self.rules.by_class:
            return False
        have = frozenset(names.translate(_CLASS_SPACE).split(" "))
        return any(
            compound.classes <= have and compound.tag in (None, element.tag)
            for name in have
            for compound in self.rules.by_class.get(name, ())
        )


@lru_cache(maxsize=64)
def prune_rules(selectors: tuple[str, ...]) -> PruneRules:
    tags: set[str] = set()
    by_class: defaultdict[str, list[_Compound]] = defaultdict(list)
    other: list[str] = []
    for css in dict.fromkeys(selectors):
        for selector in parse(css):
            compound = _compound(selector)
            if compound is None:
                other.append(selector.canonical())
            elif not compound.classes and compound.tag:
                tags.add(compound.tag)
            elif compound.classes:
                for name in compound.classes:
                    by_class[name].append(compound)
            else:  # `*` alone: left to lxml, like any selector that is not a tag or a class
                other.append(selector.canonical())
    return PruneRules(frozenset(tags), {name: tuple(found) for name, found in by_class.items()}, ", ".join(other))


def _compound(selector: Selector) -> _Compound | None:
    """`selector` as a tag with classes, or None when it says anything more."""
    if selector.pseudo_element:
        return None
    tree = selector.parsed_tree
    classes: list[str] = []
    while isinstance(tree, Class):
        classes.append(tree.class_name)
        tree = tree.selector
    if not isinstance(tree, Element) or tree.namespace:
        return None
    return _Compound(tree.element.lower() if tree.element else None, frozenset(classes))

