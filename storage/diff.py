"""What changed between two versions of an article: pure functions, no database.

The content hash is taken over normalised content fields, so markup the site's software
re-serialised (whitespace, `&nbsp;`, composed vs decomposed accents) never makes a version.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scraper.document import CONTENT_FIELDS
from scraper.text import normalise_text

#: Words of equal text kept on each side of a change in a stored diff.
CONTEXT_WORDS = 8

Content = Mapping[str, Any]


def normalise_content(content: Content) -> dict[str, Any]:
    """Content fields with every string normalised; lists stay lists."""
    return {name: _normalise(content.get(name)) for name in CONTENT_FIELDS}


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, (list, tuple)):
        return [item for item in (_normalise(v) for v in value) if item != ""]
    return value


#: The content hash is SHA-256 of one JSON object, the normalised content fields, keys sorted,
#: non-ASCII as it is, json's default separators: its exact bytes are in every stored hash,
#: so never change them. The object is joined from each field's JSON (`encode_fields`), so that
#: the archive can store a field's JSON that it has already written for the hash.
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
#: Each field's name as the object writes it before its value: `{"body": `, `, "categories": `, …
_SORTED_KEYS = tuple(
    (name, ("{" if index == 0 else ", ") + _encode(name) + ": ") for index, name in enumerate(sorted(CONTENT_FIELDS))
)


def encode_fields(normalised: Content) -> dict[str, str]:
    """Each field of `normalise_content(...)` as JSON, as the content hash writes it."""
    return {name: _encode(normalised[name]) for name in CONTENT_FIELDS}


def hash_of_fields(encoded: Mapping[str, str]) -> str:
    """The content hash of the content whose normalised fields `encode_fields` gave `encoded`."""
    parts = [piece for name, key in _SORTED_KEYS for piece in (key, encoded[name])]
    parts.append("}")
    return hashlib.sha256("".join(parts).encode("utf-8")).hexdigest()


def content_hash(content: Content) -> str:
    return hash_of_fields(encode_fields(normalise_content(content)))


def changed_fields(old: Content, new: Content) -> list[str]:
    before, after = normalise_content(old), normalise_content(new)
    return [name for name in CONTENT_FIELDS if before[name] != after[name]]


def field_text(value: Any) -> str:
    """A field as one text for diffing: list items one per line."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(str(item) for item in value)
    return str(value)


@dataclass(frozen=True)
class WordDiff:
    """Word-level diff of one field: ops are ("equal" | "insert" | "delete", text)."""

    ops: tuple[tuple[str, str], ...]
    added: int
    removed: int

    def to_json(self) -> list[list[str]]:
        return [list(op) for op in self.ops]


_TOKEN = re.compile(r"\S+")


def word_diff(old: str, new: str, context: int = CONTEXT_WORDS) -> WordDiff:
    """Insertions and deletions between two texts, with `context` equal words around each."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    ops: list[tuple[str, str]] = []
    added = removed = 0
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    opcodes = matcher.get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            ops += _context(a[i1:i2], context, first=index == 0, last=index == len(opcodes) - 1)
            continue
        if tag in ("delete", "replace"):
            ops.append(("delete", " ".join(a[i1:i2])))
            removed += i2 - i1
        if tag in ("insert", "replace"):
            ops.append(("insert", " ".join(b[j1:j2])))
            added += j2 - j1
    return WordDiff(tuple(ops), added, removed)


def _context(words: Sequence[str], keep: int, *, first: bool, last: bool) -> list[tuple[str, str]]:
    """Equal words trimmed to `keep` on the side(s) that touch a change; "…" marks the cut."""
    head = [] if first else list(words[:keep])
    tail = [] if last else list(words[-keep:])
    if len(words) <= len(head) + len(tail) or (not first and not last and len(words) <= 2 * keep):
        return [("equal", " ".join(words))]
    parts = [" ".join(head), "…", " ".join(tail)]
    return [("equal", " ".join(part for part in parts if part))]


@dataclass(frozen=True)
class Change:
    """An edit between two versions: which fields, how many words, the diff of each field."""

    fields: tuple[str, ...]
    diffs: dict[str, WordDiff]
    #: "substantive", or "cosmetic" when only whitespace, punctuation or letter case changed.
    significance: str

    @property
    def words_added(self) -> int:
        return sum(d.added for d in self.diffs.values())

    @property
    def words_removed(self) -> int:
        return sum(d.removed for d in self.diffs.values())


_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)


def _letters(value: Any) -> str:
    return " ".join(_PUNCTUATION.sub(" ", field_text(value)).lower().split())


def compare(old: Content, new: Content) -> Change | None:
    """None when the content is the same once normalised."""
    before, after = normalise_content(old), normalise_content(new)
    fields = tuple(name for name in CONTENT_FIELDS if before[name] != after[name])
    if not fields:
        return None
    diffs = {name: word_diff(field_text(before[name]), field_text(after[name])) for name in fields}
    cosmetic = all(_letters(before[name]) == _letters(after[name]) for name in fields)
    return Change(fields, diffs, "cosmetic" if cosmetic else "substantive")
