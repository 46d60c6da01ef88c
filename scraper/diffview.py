"""Word diffs for people: wdiff markers ([-deleted-] {+inserted+}), coloured in a terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text

STYLES = {"delete": "bold red strike", "insert": "bold green", "equal": ""}
MARKERS = {"delete": ("[-", "-]"), "insert": ("{+", "+}"), "equal": ("", "")}


def diff_text(ops: Sequence[Sequence[str]]) -> Text:
    """One field's ops as a rich Text: markers always (readable piped), colour where supported."""
    text = Text()
    for index, (op, words) in enumerate(ops):
        if index:
            text.append(" ")
        opening, closing = MARKERS[op]
        text.append(f"{opening}{words}{closing}", style=STYLES[op])
    return text


def field_diffs(diff: Mapping[str, Sequence[Sequence[str]]]) -> list[tuple[str, Text]]:
    return [(name, diff_text(ops)) for name, ops in diff.items()]
