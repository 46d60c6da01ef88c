"""The article's body element → paragraphs in reading order, with BeautifulSoup.

Only the body fragment is parsed here (the page was located with lxml), which keeps
BeautifulSoup's cost to a few milliseconds a page. What is never prose (scripts, share
buttons, ads…) is cut out on the lxml side first, with compiled XPaths over a copy of the
element: soupsieve's `select`, once per selector, cost more than the rest of cleaning together
(bench/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from copy import deepcopy
from functools import lru_cache
from urllib.parse import urljoin

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, Comment, Declaration, Doctype, ProcessingInstruction
from lxml import etree
from parsel.csstranslator import css2xpath

from scraper.document import Image
from scraper.text import normalise_text

#: Never the article's words, whatever the theme.
ALWAYS_PRUNE = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "form",
    "button",
    "nav",
    "aside",
    "svg",
    "ins.adsbygoogle",
    ".screen-reader-text",
    ".sharedaddy",
    ".jp-relatedposts",
    # Highlight boxes some themes put inside the content: they are the `highlights` field.
    ".key-highlights",
    ".highlights",
)

#: Elements that flow inside a paragraph; every other element starts a new block.
INLINE = frozenset(
    ["a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i", "img", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr", "label"]
)

#: "Also read: <link>" inserts some plugins put between paragraphs.
INSERT = re.compile(r"^(also read|read also|also see|see also|related|read more)\s*[:|–—-]", re.I)

_SKIPPED_STRINGS = (Comment, CData, Declaration, Doctype, ProcessingInstruction)

#: Stands for `<br>` while a block's text is gathered (a newline in the source is only a space).
_BREAK = "\x1e"


def body_blocks(
    element: etree._Element | str, base_url: str, prune: Iterable[str] = ()
) -> tuple[list[str], list[Image]]:
    """Paragraphs (headings, list items, quotes and table rows each one) and the images.

    `element` is the body element of the page's lxml tree (parsel's `.root`); it is not changed.
    """
    selectors = (*ALWAYS_PRUNE, *prune)
    try:
        soup = BeautifulSoup(_pruned_html(element, selectors), "lxml")
    except (TypeError, ValueError):  # text, not an element; or a tail lxml will not hold (NUL…)
        soup = _pruned_soup(element, selectors)
    images = _take_images(soup, base_url)
    blocks: list[str] = []
    _walk(soup, blocks, [])
    return [block for block in blocks if not INSERT.match(block)], images


def _pruned_html(element: etree._Element | str, selectors: tuple[str, ...]) -> str:
    """The element's HTML without what `selectors` match, each in turn (a tail text stays)."""
    if not isinstance(element, etree._Element):
        raise TypeError("not an element")
    kept = deepcopy(element)  # the page's tree is still read for other fields
    for selector in selectors:
        for node in _xpath(selector)(kept):
            if node is kept:
                return ""
            _drop(node)
    return etree.tostring(kept, method="html", encoding="unicode", with_tail=False)


def _pruned_soup(element: etree._Element | str, selectors: tuple[str, ...]) -> BeautifulSoup:
    """The same with BeautifulSoup alone: slower, for what lxml cannot do."""
    if not isinstance(element, str):
        element = etree.tostring(element, method="html", encoding="unicode", with_tail=False)
    soup = BeautifulSoup(element, "lxml")
    for selector in selectors:
        for found in soup.select(selector):
            found.decompose()
    return soup


def _drop(node: etree._Element) -> None:
    """Remove `node` and its subtree, keeping the text that follows it (lxml's `drop_tree`)."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


@lru_cache(maxsize=256)
def _xpath(selector: str) -> etree.XPath:
    return etree.XPath(css2xpath(selector))


def _take_images(soup: BeautifulSoup, base_url: str) -> list[Image]:
    """Images with their captions; captions leave the body (they are not the article's prose)."""
    images = []
    for img in soup.find_all("img"):
        src = img.get("src") or img.get("data-src") or ""
        figure = img.find_parent("figure")
        caption = figure.find("figcaption") if figure else None
        images.append(Image(src=urljoin(base_url, str(src)), caption=normalise_text(caption.get_text()) if caption else ""))
    for caption in soup.find_all("figcaption"):
        caption.decompose()
    return images


def _walk(element: Tag, blocks: list[str], line: list[str]) -> None:
    """Depth-first; `line` collects the inline text of the block being read."""
    for child in element.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, _SKIPPED_STRINGS):
                line.append(str(child))
        elif not isinstance(child, Tag):
            continue
        elif child.name == "br":
            line.append(_BREAK)
        elif child.name == "tr":
            _flush(line, blocks)
            _append(blocks, " | ".join(c for c in (normalise_text(cell.get_text(" ")) for cell in child.find_all(["td", "th"])) if c))
        elif child.name in INLINE:
            _walk(child, blocks, line)
        else:
            _flush(line, blocks)
            _walk(child, blocks, line)
            _flush(line, blocks)


def _flush(line: list[str], blocks: list[str]) -> None:
    """End the current block: each `<br>`-separated line becomes a paragraph of its own."""
    if line:
        for text in "".join(line).split(_BREAK):
            _append(blocks, normalise_text(text))
        line.clear()


def _append(blocks: list[str], text: str) -> None:
    if text:
        blocks.append(text)
