"""Property tests: whatever HTML comes in, `clean` returns a Document or raises ExtractionError.

Generated markup and mutations of the stored real-theme pages (cut, spliced, bytes flipped,
tags unbalanced). Hypothesis' deadline bounds the time per page: no pathological regex or
recursion can hide in the cleaner.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scraper.clean import ExtractionError, clean
from scraper.document import Document
from scraper.sites import get_site

PAGES = [path.read_bytes() for path in sorted((Path(__file__).parent / "fixtures" / "indbiz").glob("*.html"))]
URL = "https://indbiz.gov.in/some-article/"
INDBIZ = get_site("indbiz")
TAGS = ["p", "div", "span", "h1", "h2", "ul", "li", "table", "tr", "td", "article", "br", "script", "style", "figure", "a", "blockquote"]
CLASSES = ["entry-title", "entry-content", "entry-excerpt", "key-highlights", "cat-links", "type-post", "single-post", "sharedaddy", ""]

PROFILE = settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def outcome(html: str | bytes) -> Document | None:
    try:
        document = clean(html, URL, INDBIZ)
    except ExtractionError:
        return None
    assert isinstance(document, Document)
    assert document.title and document.body
    assert all(paragraph == paragraph.strip() and paragraph for paragraph in document.body)
    return document


@st.composite
def markup(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    css = draw(st.sampled_from(CLASSES))
    text = draw(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))
    children = draw(st.lists(markup(depth + 1), max_size=3)) if depth < 4 else []
    close = draw(st.booleans())
    return f'<{tag} class="{css}">{text}{"".join(children)}' + (f"</{tag}>" if close else "")


@PROFILE
@given(st.lists(markup(), max_size=6), st.booleans())
def test_generated_markup(body: list[str], single: bool) -> None:
    page = f"<html><body class='{'single-post' if single else ''}'>{''.join(body)}</body></html>"
    outcome(page)


@PROFILE
@given(st.sampled_from(PAGES), st.data())
def test_mutated_real_pages(page: bytes, data: st.DataObject) -> None:
    for _ in range(data.draw(st.integers(1, 4))):
        operation = data.draw(st.sampled_from(["cut", "splice", "flip", "drop-close-tags", "nest"]))
        start = data.draw(st.integers(0, max(0, len(page) - 1)))
        end = data.draw(st.integers(start, len(page)))
        if operation == "cut":
            page = page[:start] + page[end:]
        elif operation == "splice":
            page = page[:start] + data.draw(st.sampled_from(PAGES))[start:end] + page[end:]
        elif operation == "flip":
            page = page[:start] + bytes(data.draw(st.lists(st.integers(0, 255), min_size=1, max_size=32))) + page[start:]
        elif operation == "drop-close-tags":
            page = page.replace(b"</p>", b"").replace(b"</div>", b"")
        else:
            page = page[:start] + b"<div><span>" * 500 + page[start:]
    outcome(page)


@PROFILE
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data: bytes) -> None:
    outcome(data)


def test_an_unmutated_page_still_cleans() -> None:
    assert outcome(PAGES[0]) is not None
