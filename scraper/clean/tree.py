"""What the cleaner's lxml passes share: which tags are inline, and removing an element.

Both the generic fallback (`density.py`) and the body walker (`blocks.py`) tell blocks from
inline text with `INLINE`; the fallback cuts elements out of a copy of the page's tree with
`drop`, which keeps the text that follows each one.
"""

from __future__ import annotations

import re

from lxml import etree

#: Tags that flow inside a paragraph: their text is their parent's; any other tag starts a block.
INLINE = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del", "dfn", "em",
        "font", "i", "img", "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strike",
        "strong", "sub", "sup", "time", "tt", "u", "var", "wbr", "label",
    }
)  # fmt: skip

#: What lxml lets a parsed page hold but refuses in text set afterwards (control characters).
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def drop(node: etree._Element) -> None:
    """Remove `node` and its subtree, keeping the text that follows it (lxml.html's `drop_tree`,
    for any element, without the control characters lxml would refuse in the joined text)."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = _XML_UNSAFE.sub("", (previous.tail or "") + node.tail)
        else:
            parent.text = _XML_UNSAFE.sub("", (parent.text or "") + node.tail)
    parent.remove(node)
