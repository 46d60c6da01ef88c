"""`normalise_text`: its fast path for already-normal text must give what the definition gives.

The archive's content hashes depend on it, so any difference would make stored versions look
edited on the next crawl.
"""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.text import _INVISIBLE, normalise_text


def definition(text: str) -> str:
    """What `normalise_text` means, written the slow way."""
    return unicodedata.normalize("NFC", " ".join(_INVISIBLE.sub("", text).split()))


def test_printable_characters_are_never_foldable_or_invisible() -> None:
    """The fast path's premise, for every code point of this Python's Unicode database."""
    offenders = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if chr(code).isprintable() and chr(code) != " " and (chr(code).isspace() or _INVISIBLE.match(chr(code)))
    ]
    assert offenders == []


#: Characters that exercise every branch: spaces of all kinds, invisibles, ZWJ, decomposed
#: accents, non-Latin scripts, controls.
TRICKY = st.sampled_from(
    list(" \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2002\u2009\u200a\u2028\u202f\u3000")
    + list("\u200b\u200c\u200d\u2060\ufeff\u00ad")
    + ["e\u0301", "\u0301", "é", "₹", "“", "”", "क्ष", "\u0915\u094d\u200d", "\x00", "\x07"]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.one_of(TRICKY, st.text(max_size=6)), max_size=30).map("".join))
def test_normalise_text_matches_its_definition(text: str) -> None:
    assert normalise_text(text) == definition(text)


@given(st.text())
def test_normalise_text_is_idempotent(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once


def test_examples() -> None:
    assert normalise_text("  a\u00a0\u00a0b\n") == "a b"
    assert normalise_text("cafe\u0301") == "café"
    assert normalise_text("in\u00advisible\u200b") == "invisible"
    assert normalise_text("already normal, ₹84,500 “quoted”") == "already normal, ₹84,500 “quoted”"
