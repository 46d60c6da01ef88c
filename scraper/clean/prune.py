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
from lxml import etree

from scraper.clean.select import Compound, class_names, compound, select


@dataclass(frozen=True)
class PruneRules:
    """A list of prune selectors, sorted for matching (`prune_rules`)."""

    tags: frozenset[str]
    #: Each class name → the compounds that need it (one lookup per class an element has).
    by_class: dict[str, tuple[Compound, ...]]
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
        value = element.get("class")
        if not value or not self.rules.by_class:
            return False
        names = class_names(value)
        rules = self.rules.by_class
        return any(rule.matches(element.tag, names) for name in names for rule in rules.get(name, ()))


@lru_cache(maxsize=64)
def prune_rules(selectors: tuple[str, ...]) -> PruneRules:
    tags: set[str] = set()
    by_class: defaultdict[str, list[Compound]] = defaultdict(list)
    other: list[str] = []
    for css in dict.fromkeys(selectors):
        for selector in parse(css):
            simple = None if selector.pseudo_element else compound(selector.parsed_tree)
            if simple is None:
                other.append(selector.canonical())
            elif not simple.classes and simple.tag:
                tags.add(simple.tag)
            elif simple.classes:
                for name in simple.classes:
                    by_class[name].append(simple)
            else:  # `*` alone: left to lxml, like any selector that is not a tag or a class
                other.append(selector.canonical())
    return PruneRules(frozenset(tags), {name: tuple(found) for name, found in by_class.items()}, ", ".join(other))
