"""Text normalisation shared by the cleaner and the archive's content hash.

Folding whitespace (`&nbsp;` included) and composing Unicode (NFC) never changes a word, so a
page re-serialised by the site's software cleans and hashes the same.
"""

import re
import unicodedata

#: Invisible characters that carry no meaning in Latin text. ZWJ/ZWNJ are kept: Indic scripts
#: need them.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")


def normalise_text(text: str) -> str:
    """NFC, invisible characters dropped, runs of whitespace (NBSP too) folded to one space.

    Hot: every text of every page and every hashed field goes through it. ASCII text is already
    NFC and holds no invisible character; a regex drops them from the rest several times faster
    than `str.translate` with a table (which goes character by character once text is not ASCII).
    """
    if text.isascii():
        return " ".join(text.split())
    return unicodedata.normalize("NFC", " ".join(_INVISIBLE.sub("", text).split()))
