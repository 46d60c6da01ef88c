"""The stored pages of the extraction-quality benchmark: `NAME.html` beside `NAME.json`.

`NAME.json` holds the page's URL (extractors resolve links and some read the domain) and the
expected body as a list of paragraphs, taken from the source's own ground truth (see
`pages/SOURCES.md`), never from one of the compared extractors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

#: The corpus shipped with the project.
PAGES = Path(__file__).parent / "pages"


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    html: str
    #: The article's paragraphs, in reading order.
    expected: tuple[str, ...]

    @property
    def expected_text(self) -> str:
        return "\n\n".join(self.expected)


def load_pages(folder: Path = PAGES, limit: int | None = None) -> list[Page]:
    """Every page with both files, by name; `limit` takes the first few (a smoke run)."""
    names = sorted(
        path.stem for path in folder.glob("*.json") if path.with_suffix(".html").exists()
    )
    return [load_page(folder, name) for name in names[:limit]]


def load_page(folder: Path, name: str) -> Page:
    meta = json.loads((folder / f"{name}.json").read_text("utf-8"))
    html = (folder / f"{name}.html").read_text("utf-8")
    return Page(name=name, url=meta["url"], html=html, expected=tuple(meta["body"]))
