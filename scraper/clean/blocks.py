"""The article's body element → paragraphs in reading order, with BeautifulSoup.

The page was parsed once, by lxml, and the body element located on that tree. BeautifulSoup's
tree is built from that element (`_ElementTreeBuilder`), leaving out what is never prose
(scripts, share buttons, ads…: `scraper.clean.prune`), rather than from the element's HTML
parsed a second time. soupsieve's `select`, once per prune selector, had cost more than the
rest of cleaning together (bench/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin

import lxml.html
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.builder import HTMLTreeBuilder
from bs4.element import CData, Comment, Declaration, Doctype, ProcessingInstruction
from lxml import etree

from scraper.clean.prune import Pruned, prune_rules
from scraper.clean.tree import INLINE
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
    # What popular plugins append to the content: counters that move with every reader (Post
    # Views Counter, WP-PostRatings, Shared Counts), share bars (AddToAny, Sassy Social Share,
    # Social Warfare), lists that move with every new post (YARPP, Contextual Related Posts),
    # and reading times (Reading Time WP). Kept, each would make an edit of nothing.
    ".post-views",
    ".post-ratings",
    ".shared-counts-wrap",
    ".addtoany_share_save_container",
    ".heateor_sss_sharing_container",
    ".swp_social_panel",
    ".yarpp-related",
    ".crp_related",
    ".rt-reading-time",
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

    `element` is the body element of the page's lxml tree (`scraper.clean.parse.parse_page`);
    it is not changed.
    """
    if isinstance(element, str):  # a selector that picked text, not an element
        element = lxml.html.fragment_fromstring(element, create_parent="div")
    pruned = prune_rules((*ALWAYS_PRUNE, *prune)).matching(element)
    soup = BeautifulSoup("", builder=_ElementTreeBuilder(element, pruned))
    images = _take_images(soup, base_url)
    blocks: list[str] = []
    _walk(soup, blocks, [])
    return [block for block in blocks if not INSERT.match(block)], images


class _ElementTreeBuilder(HTMLTreeBuilder):
    """Builds a soup from an lxml element, less what is pruned (the text after a pruned
    element stays), through the same calls BeautifulSoup's own lxml builder makes while lxml
    parses: copying the element to prune it, serialising the copy and parsing that again cost
    more than the rest of building the soup (bench/README.md). Comments and processing
    instructions are left out, as `_walk` skips them anyway."""

    def __init__(self, element: etree._Element, pruned: Pruned) -> None:
        super().__init__()
        self.element = element
        self.pruned = pruned

    def prepare_markup(self, markup, user_specified_encoding=None, document_declared_encoding=None, exclude_encodings=None):  # type: ignore[no-untyped-def, override]
        yield markup, None, None, False

    def feed(self, markup: str | bytes) -> None:
        if self.element not in self.pruned:
            self._add(self.element)

    def _add(self, element: etree._Element) -> None:
        soup = self.soup
        assert soup is not None  # set by BeautifulSoup before it feeds
        soup.handle_starttag(element.tag, None, None, dict(element.attrib))
        if element.text:
            soup.handle_data(element.text)
        for child in element:
            if isinstance(child.tag, str) and child not in self.pruned:
                self._add(child)
            if child.tail:
                soup.handle_data(child.tail)
        soup.handle_endtag(element.tag)


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
