"""Text normalisation shared by the cleaner and the archive's content hash.

Folding whitespace (`&nbsp;` included) and composing Unicode (NFC) never changes a word, so a
page re-serialised by the site's software cleans and hashes the same.
"""

import unicodedata

#: Invisible characters that carry no meaning in Latin text. ZWJ/ZWNJ are kept: Indic scripts
#: need them.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"), None)


def normalise_text(text: str) -> str:
    """NFC, invisible characters dropped, runs of whitespace (NBSP too) folded to one space."""
    return unicodedata.normalize("NFC", " ".join(text.translate(_INVISIBLE).split()))
