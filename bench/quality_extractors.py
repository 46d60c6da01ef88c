"""The three extractors compared, each as `(html, url) -> body text`.

Each returns the article's body only (no title), as its library's users would get it; an
extractor that finds no article returns "" (scored as a failure, not a crash).
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import html as lxml_html

from scraper.clean import ExtractionError, clean
from scraper.sites import get_site

Extractor = Callable[[str, str], str]


def newsdelta_fallback(html: str, url: str) -> str:
    """newsdelta's `generic` profile: no selectors, no WordPress classes, so the body is the
    class-name-free fallback layer (metadata never supplies a body)."""
    try:
        document = clean(html, url, get_site("generic"))
    except ExtractionError:
        return ""
    return "\n\n".join(document.body)


def trafilatura_body(html: str, url: str) -> str:
    """`trafilatura.extract` with its defaults, less comments (they are not the article)."""
    import trafilatura

    return trafilatura.extract(html, url=url, include_comments=False) or ""


def readability_body(html: str, url: str) -> str:
    """readability-lxml's `Document.summary()`, its HTML turned into text with lxml."""
    from readability import Document

    summary = Document(html, url=url).summary(html_partial=True)
    return html_text(summary)


def html_text(fragment: str) -> str:
    """An HTML fragment's text; text nodes are joined with spaces so `<p>a</p><p>b</p>` stays
    two words, and scripts or styles (none should survive readability) are left out."""
    if not fragment.strip():
        return ""
    root = lxml_html.fromstring(fragment)
    for element in root.xpath("//script|//style"):
        element.drop_tree()
    return " ".join(" ".join(root.itertext()).split())


EXTRACTORS: dict[str, Extractor] = {
    "newsdelta fallback": newsdelta_fallback,
    "trafilatura": trafilatura_body,
    "readability-lxml": readability_body,
}
