"""The main content of a page of no known theme, found by text density alone.

Why: a site nobody profiled, whose theme is not WordPress', still has an article, and the words
of an article are what sets it apart from the chrome around it: long runs of prose, with
commas, few of them inside links. Class names are not read (they are per theme, so a list of
them is always one theme short); only tags, text and links are. The cleaner's earlier guess,
the element with the most `<p>` text, took footers, comments or a third of a body split
between ads (bench/quality.py's pages).

How, readability-style, on the page's lxml tree, in one walk and a few lookups:

1. Measure every element: its text, link text and `<small>` print, its images, and the
   paragraphs it holds. A paragraph is a `<p>` (or `<li>`, `<pre>`…), but also each
   `<br>`-separated line of loose text in any block. Chrome (`nav`, `aside`, `footer`,
   `header`, forms but one wrapping the whole page, scripts…) is not walked.
2. Score: a paragraph of at least 25 characters outside links scores
   1 + commas + min(length/100, 3); the element holding it gets that, its parent half and the
   next one up a sixth. A candidate's score is scaled by the share of its text that is not in
   links, so that a footer or a list of links never wins.
3. Choose: the best candidate; its parent instead while that holds prose of its own beside it
   (the best candidate was a quote or a list inside the article); then the other parts of a
   body split between ads: siblings, or cousins of the same shape, whose own paragraphs score
   near it, with the headings and paragraphs between them.
4. Clean: inside the chosen elements, drop what is not the article's prose: galleries (images
   with captions, little else), boxes and lists of links (related stories) unless the prose
   announces them ("…the coverage:"), and paragraphs in small print.

The result is a new `<div>` holding copies of the chosen elements, in page order; the page's
own tree is never changed. Known limit: comments or teaser lists holding several times the
article's prose still outscore it (as in readability, which reads class names for those).
"""

from __future__ import annotations

from copy import deepcopy

from lxml import etree

from scraper.clean.tree import INLINE, drop

#: Subtrees that are never the article (not walked, not scored, not kept).
SKIP = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
        "nav", "aside", "footer", "button", "select", "textarea", "input", "header", "head",
    }
)  # fmt: skip
#: A `<form>` is skipped too, but for one that wraps the page (ASP.NET pages do).

#: Tags that are one paragraph each: their score goes to the element holding them.
PARAGRAPHS = frozenset({"p", "pre", "li", "dd", "dt"})

#: Headings are the article's, but they are not prose: they never score.
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

#: Boxes inside the body that are checked, and dropped when they are not prose.
BOXES = frozenset({"div", "section", "ul", "ol", "dl", "table", "figure"})

#: Comma-like marks of several scripts (a comma is a clause: prose has many, chrome has few).
COMMAS = (",", "\u060c", "\uff0c", "\u3001")

#: A paragraph shorter than this (outside links) is not prose: a label, a date, a button.
MIN_PARAGRAPH = 25
#: A paragraph's length earns at most this many points (one per 100 characters).
MAX_LENGTH_POINTS = 3.0
#: Share of its paragraph points an ancestor gets: the parent all, the grandparent half, the
#: great-grandparent a sixth (readability.js's dividers: a box of many boxes of text, such as
#: comments, gathers less from them).
ANCESTOR_SHARES = (1.0, 1 / 2, 1 / 6)
#: A part of a split body scores at least this share of the top's score, and at least the
#: floor: readability's for a sibling of any tag, lower for a cousin of the same shape (a
#: short article split between ads can end on a single paragraph).
PART_SHARE = 0.2
MIN_SIBLING_SCORE = 10.0
MIN_COUSIN_SCORE = 3.0
#: The parent of the top candidate is the body when its own paragraphs score this much.
MIN_WIDEN_SCORE = 5.0
#: How far up from the top candidate the other parts of a split body are looked for.
MAX_SPLIT_LEVELS = 4
#: A block whose text is this much `<small>` is fine print, not the article.
FINE_PRINT = 0.9
#: A paragraph beside one image, shorter than this, is the image's caption.
MAX_CAPTION = 500


class _Stats:
    """What the walk learns about one element (chrome subtrees left out)."""

    __slots__ = (
        "block",
        "caption_text",
        "captions",
        "commas",
        "direct",
        "images",
        "in_link",
        "in_small",
        "lines",
        "links",
        "paragraphs",
        "score",
        "small",
        "text",
    )

    def __init__(self) -> None:
        self.text = 0  # characters of text in the subtree
        self.links = 0  # of which inside `<a>`
        self.small = 0  # of which inside `<small>`: fine print
        self.commas = 0
        self.paragraphs = 0  # paragraphs of prose in the subtree
        self.captions = 0  # of which captions of an image
        self.caption_text = 0  # characters of those captions
        self.images = 0
        self.block = False  # holds a block element (so it is not inline, whatever its tag)
        self.score = 0.0  # points of the paragraphs it holds, before link density
        self.direct = 0.0  # of which from its own paragraphs (not those of its descendants)
        self.in_link = False  # inside an `<a>`
        self.in_small = False  # inside a `<small>`
        #: Its own text (not that of block children), one [chars, not prose, commas] per line.
        self.lines: list[list[int]] = [[0, 0, 0]]

    @property
    def link_density(self) -> float:
        return self.links / self.text if self.text else 0.0

    @property
    def final(self) -> float:
        """The candidate's score: its paragraph points less the share of its text in links."""
        return self.score * (1.0 - self.link_density)

    @property
    def own_final(self) -> float:
        """The same for its own paragraphs only (its children's, or its own lines)."""
        return self.direct * (1.0 - self.link_density)


#: The page's outermost forms: one of them may wrap the whole page.
_FORMS = etree.XPath("descendant::form[not(ancestor::form)]")
#: An element's text, as lxml.html's `text_content()` reads it (pages are parsed without
#: lxml.html's element classes: `scraper.clean.parse`).
_STRING = etree.XPath("string()", smart_strings=False)

#: Stands on the walk's stack for an element that is not measured (chrome, `<br>`).
_UNMEASURED = _Stats()

_Paragraph = tuple[etree._Element, float]  # (the element holding it, its points)
_StatsMap = dict[etree._Element, _Stats]


def main_content(root: etree._Element) -> etree._Element | None:
    """A `<div>` holding copies of the page's main content, or None when it has no prose."""
    body = _body_of(root)
    if body is None:
        return None
    stats: _StatsMap = {}
    paragraphs: list[_Paragraph] = []
    _measure(body, stats, paragraphs)
    _spread(paragraphs, stats)
    top = _top_candidate(stats)
    if top is None:
        return None
    holder, parts = _parts(_widened(top, stats), stats)
    return _assemble(_gather(holder, parts, stats), stats)


def _body_of(root: etree._Element) -> etree._Element | None:
    """The page's `<body>`, else its root; None for what is not an element."""
    if not isinstance(getattr(root, "tag", None), str):
        return None
    if root.tag == "body":
        return root
    found = root.find(".//body")
    return found if found is not None else root


# -- measuring ----------------------------------------------------------------------------------


def _measure(body: etree._Element, stats: _StatsMap, paragraphs: list[_Paragraph]) -> None:
    """Measure every element under `body` in one walk, noting the paragraphs each holds.

    lxml's `iterwalk` rather than recursion: a page nested thousands deep is still a page.
    """
    stack: list[_Stats] = []
    wrapper = _page_form(body)
    walk = etree.iterwalk(body, events=("start", "end", "comment", "pi"))
    for event, node in walk:
        if event == "start":
            tag = node.tag
            parent = stack[-1] if stack else None
            if parent is not None and (
                tag in SKIP or tag == "br" or (tag == "form" and node is not wrapper)
            ):
                walk.skip_subtree()  # chrome: only its tail is read
                stack.append(_UNMEASURED)
                continue
            own = stats[node] = _Stats()
            if parent is not None:
                own.in_link, own.in_small = parent.in_link, parent.in_small
            own.in_link = own.in_link or tag == "a"
            own.in_small = own.in_small or tag == "small"
            if node.text:
                _add_text(own, node.text)
            stack.append(own)
        elif event == "end":
            own = stack.pop()
            parent = stack[-1] if stack else None
            if own is not _UNMEASURED:
                _finish(node, own, paragraphs)
            if parent is None:
                continue
            if own is not _UNMEASURED:
                _add_child(parent, own, node.tag)
            elif node.tag == "br":
                parent.lines.append([0, 0, 0])
            if node.tail:
                _add_text(parent, node.tail)
        elif stack and node.tail:  # a comment or processing instruction: only its tail is text
            _add_text(stack[-1], node.tail)


def _page_form(body: etree._Element) -> etree._Element | None:
    """The `<form>` that wraps the page (ASP.NET's), if any: that one is not chrome."""
    forms = _FORMS(body)
    if not forms:
        return None
    outer = forms[0]
    return outer if 2 * len(_STRING(outer)) > len(_STRING(body)) else None


def _add_text(own: _Stats, text: str) -> None:
    """Count a text node; link text and small print are not prose (a line's [1] counts them)."""
    words = text.split()
    if not words:
        return
    chars = len(words) - 1 + sum(map(len, words))
    commas = text.count(",")
    if not text.isascii():
        commas += sum(text.count(mark) for mark in COMMAS[1:])
    line = own.lines[-1]
    own.text += chars
    own.commas += commas
    line[0] += chars
    line[2] += commas
    if own.in_link:
        own.links += chars
    if own.in_small:
        own.small += chars
    if own.in_link or own.in_small:
        line[1] += chars


def _finish(element: etree._Element, own: _Stats, paragraphs: list[_Paragraph]) -> None:
    """The element's subtree is measured: note its paragraphs, and whether it is a caption."""
    tag = element.tag
    if tag == "img":
        own.images = 1
    elif tag not in HEADINGS and (own.block or tag not in INLINE):
        _note_paragraphs(element, tag, own, paragraphs)
    if own.images == 1 and own.paragraphs == 1 and own.text <= MAX_CAPTION:
        own.captions, own.caption_text = 1, own.text


def _add_child(own: _Stats, inner: _Stats, tag: str) -> None:
    """A child's measures are its parent's too; an inline child's lines continue the parent's."""
    own.text += inner.text
    own.links += inner.links
    own.small += inner.small
    own.commas += inner.commas
    own.paragraphs += inner.paragraphs
    own.images += inner.images
    own.captions += inner.captions
    own.caption_text += inner.caption_text
    if tag in INLINE and not inner.block:
        _join_lines(own.lines, inner.lines)
    else:
        own.block = True
        own.lines.append([0, 0, 0])


def _join_lines(lines: list[list[int]], inline: list[list[int]]) -> None:
    """An inline child's text continues the current line; its `<br>`s start new ones."""
    current = lines[-1]
    first, *rest = inline
    for i in range(3):
        current[i] += first[i]
    lines.extend(rest)


def _note_paragraphs(
    element: etree._Element, tag: str, own: _Stats, paragraphs: list[_Paragraph]
) -> None:
    """A `<p>` is one paragraph, its parent's; any other block's lines are its own paragraphs.

    Only what is outside links and small print counts towards a paragraph's length.
    """
    if tag in PARAGRAPHS:
        chars, aside, commas = (sum(line[i] for line in own.lines) for i in range(3))
        holder = element.getparent()
        if chars - aside >= MIN_PARAGRAPH and holder is not None:
            own.paragraphs += 1
            paragraphs.append((holder, _points(chars - aside, commas)))
        return
    for chars, aside, commas in own.lines:
        if chars - aside >= MIN_PARAGRAPH:
            own.paragraphs += 1
            paragraphs.append((element, _points(chars - aside, commas)))


def _points(chars: int, commas: int) -> float:
    return 1.0 + commas + min(chars / 100, MAX_LENGTH_POINTS)


def _spread(paragraphs: list[_Paragraph], stats: _StatsMap) -> None:
    """Each paragraph's points go to the element holding it and, shared, to its ancestors."""
    for holder, points in paragraphs:
        node: etree._Element | None = holder
        for share in ANCESTOR_SHARES:
            if node is None or (found := stats.get(node)) is None:
                break
            found.score += points * share
            if node is holder:
                found.direct += points
            node = node.getparent()


# -- choosing -----------------------------------------------------------------------------------


def _top_candidate(stats: _StatsMap) -> etree._Element | None:
    best, best_score = None, 0.0
    for element, found in stats.items():
        if found.score > 0 and (score := found.final) > best_score:
            best, best_score = element, score
    return best


def _widened(top: etree._Element, stats: _StatsMap) -> etree._Element:
    """`top`'s parent instead, while that holds prose of its own beside it.

    The element that scores most can be a quote or a list inside the article: the article's own
    paragraphs around it then score its parent, which is the body.
    """
    threshold = max(MIN_WIDEN_SCORE, stats[top].final * PART_SHARE)
    parent = top.getparent()
    while parent is not None and (found := stats.get(parent)) is not None:
        if found.own_final < threshold:
            break
        top, parent = parent, parent.getparent()
    return top


def _parts(
    top: etree._Element, stats: _StatsMap
) -> tuple[etree._Element, set[etree._Element]]:
    """The parts of the body (`top` among them) and the element holding them all.

    A part is a sibling of `top`, or a cousin of the same shape (same tags down from a common
    ancestor at most `MAX_SPLIT_LEVELS` up, one per branch of that ancestor), whose own
    paragraphs score near `top`'s: the chunks of a body split between ad slots. Comments are
    seldom parts: they sit deeper than the article's paragraphs, many to one branch.
    """
    share = stats[top].final * PART_SHARE
    parts, holder = {top}, top
    shape: list[str] = []
    branch, ancestor = top, top.getparent()
    for _ in range(MAX_SPLIT_LEVELS):
        if ancestor is None or ancestor not in stats:
            break
        threshold = max(MIN_COUSIN_SCORE if shape else MIN_SIBLING_SCORE, share)
        for cousins in _cousins(ancestor, branch, shape):
            found = [node for node in cousins if _is_part(stats.get(node), threshold)]
            if len(found) == 1:
                parts.add(found[0])
                holder = ancestor
        shape.append(branch.tag)
        branch, ancestor = ancestor, ancestor.getparent()
    return holder, parts


def _cousins(
    ancestor: etree._Element, branch: etree._Element, shape: list[str]
) -> list[list[etree._Element]]:
    """Per other branch of `ancestor`, its elements down the same tags as `branch` to `top`.

    With no `shape`, these are `top`'s siblings, of any tag.
    """
    rows = [child for child in ancestor if child is not branch and isinstance(child.tag, str)]
    if not shape:
        return [[row] for row in rows]
    found = []
    for row in rows:
        if row.tag != branch.tag:
            continue
        nodes = [row]
        for tag in reversed(shape):
            nodes = [child for node in nodes for child in node if child.tag == tag]
        found.append(nodes)
    return found


def _is_part(found: _Stats | None, threshold: float) -> bool:
    return found is not None and found.own_final >= threshold


# -- assembling ---------------------------------------------------------------------------------


def _gather(
    holder: etree._Element, parts: set[etree._Element], stats: _StatsMap
) -> list[etree._Element]:
    """The parts in page order, with what lies beside them that is prose too.

    Only the paths down to the parts are walked: a `<p>` of prose met on the way is kept
    (readability's sibling rule), and so are headings, quotes and short paragraphs when they
    lie between two parts (a subhead between two chunks of the body).
    """
    if parts == {holder}:
        return [holder]
    on_path: set[etree._Element] = set()
    for part in parts:
        node = part.getparent()
        while node is not None and node is not holder and node not in on_path:
            on_path.add(node)
            node = node.getparent()
    found: list[tuple[etree._Element, bool]] = []  # (element, kept only between two parts)
    stack = [iter(holder)]
    while stack:  # depth-first, in page order, down the paths only
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif child in parts:
            found.append((child, False))
        elif child in on_path:
            stack.append(iter(child))
        elif (kind := _loose_prose(child, stats.get(child))) is not None:
            found.append((child, kind))
    return _between_parts(found, parts)


def _loose_prose(node: etree._Element, found: _Stats | None) -> bool | None:
    """None when `node` is not prose; else whether it is kept only between two parts."""
    if found is None or not isinstance(node.tag, str):
        return None
    if node.tag in HEADINGS or node.tag == "blockquote":
        return True if found.link_density < 0.5 else None
    if node.tag != "p":
        return None
    chars = found.text - found.links
    if chars >= 80 and found.link_density < 0.25:
        return False
    return True if found.links == 0 and chars >= MIN_PARAGRAPH else None


def _between_parts(
    found: list[tuple[etree._Element, bool]], parts: set[etree._Element]
) -> list[etree._Element]:
    indexes = [i for i, (node, _) in enumerate(found) if node in parts]
    first, last = indexes[0], indexes[-1]
    return [node for i, (node, between) in enumerate(found) if not between or first < i < last]


def _assemble(kept: list[etree._Element], stats: _StatsMap) -> etree._Element:
    """A new `<div>` of copies of `kept`, without the boxes in them that are not prose."""
    container = etree.Element("div")
    for element in kept:
        dropped = {node for node in element.iterdescendants() if _is_clutter(node, stats)}
        copy = deepcopy(element)
        copy.tail = None
        if copy.tag == "form":  # a page in one `<form>` (ASP.NET): body_blocks prunes forms
            copy.tag = "div"
        if dropped:
            _drop_copies(element, copy, dropped)
        container.append(copy)
    return container


def _drop_copies(
    original: etree._Element, copy: etree._Element, dropped: set[etree._Element]
) -> None:
    """Remove from `copy` the elements matching `dropped` in `original` (a deepcopy: same
    shape, so walking both in step pairs each node with its twin)."""
    pairs = zip(original.iter(), copy.iter(), strict=False)
    for twin in [twin for node, twin in pairs if node in dropped]:
        drop(twin)


def _is_gallery(found: _Stats) -> bool:
    """Images with captions and hardly any prose besides."""
    prose = found.paragraphs - found.captions
    return 2 * prose < found.images or found.text - found.caption_text < found.caption_text


def _is_clutter(node: etree._Element, stats: _StatsMap) -> bool:
    """A box inside the article that is not its prose: a gallery, a list or box of links."""
    if node.tag in SKIP:
        return True
    found = stats.get(node)
    if found is None:
        return False
    if found.small and found.small >= FINE_PRINT * found.text and node.tag not in INLINE:
        return True  # a paragraph of small print: credits, "posted in", a legal line
    if node.tag not in BOXES:
        return False
    if found.images > 1 and _is_gallery(found):
        return True
    if found.text == 0:
        return False
    density = found.link_density
    if density <= 0.2 or _is_introduced(node, stats):
        return False
    # A list or box of links: related stories, tags, share buttons.
    return density > 0.5 or found.paragraphs == 0


def _is_introduced(node: etree._Element, stats: _StatsMap) -> bool:
    """A list the article's prose announces ("Here is the coverage:") is the article's too."""
    if node.tag not in ("ul", "ol", "dl"):
        return False
    previous = node.getprevious()
    while previous is not None and not isinstance(previous.tag, str):
        previous = previous.getprevious()
    if previous is None or previous.tag != "p" or (previous.tail or "").strip():
        return False
    found = stats.get(previous)
    if found is None or found.text - found.links < MIN_PARAGRAPH:
        return False
    return "".join(previous.itertext()).rstrip().endswith(":")
