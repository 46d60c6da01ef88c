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
from urllib.parse import urljoin

import lxml.html
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, Comment, Declaration, Doctype, ProcessingInstruction
from lxml import etree

from scraper.clean.select import select
from scraper.clean.tree import INLINE, drop
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
    soup = BeautifulSoup(_pruned_html(element, (*ALWAYS_PRUNE, *prune)), "lxml")
    images = _take_images(soup, base_url)
    blocks: list[str] = []
    _walk(soup, blocks, [])
    return [block for block in blocks if not INSERT.match(block)], images


def _pruned_html(element: etree._Element | str, selectors: tuple[str, ...]) -> str:
    """The element's HTML without what any of `selectors` matches (a tail text stays)."""
    if isinstance(element, str):  # a selector that picked text, not an element
        element = lxml.html.fragment_fromstring(element, create_parent="div")
    kept = deepcopy(element)  # the page's tree is still read for other fields
    for node in select(kept, ", ".join(selectors)):  # one pass: each XPath run has a fixed cost
        if node is kept:
            return ""
        drop(node)
    return etree.tostring(kept, method="html", encoding="unicode", with_tail=False)


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
