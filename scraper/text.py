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

    Hot: every text of every page and every hashed field goes through it, and most of it is
    already normal (the archive hashes what the cleaner normalised). `isprintable()` is false
    for every whitespace character but the space and for every invisible one (all are Unicode
    separators, controls or formats), so printable text with no double, leading or trailing
    space only needs NFC, which returns normal text as it is: three scans in C instead of
    splitting the text into words.
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text if text.isascii() else unicodedata.normalize("NFC", text)
    if text.isascii():
        return " ".join(text.split())
    return unicodedata.normalize("NFC", " ".join(_INVISIBLE.sub("", text).split()))
