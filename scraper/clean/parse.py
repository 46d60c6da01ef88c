"""Page bytes → lxml tree, in the charset the page is most likely in (pure: no I/O).

Shared by the article cleaner (`scraper.clean.clean`) and the listing reader
(`scraper.clean.listing`).
"""

from __future__ import annotations

from lxml import etree
from parsel.selector import create_root_node
from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
)

from scraper.clean.errors import ExtractionError


def decode(html: str | bytes, content_type: str | None = None) -> str:
    """Bytes → text: HTTP header charset, then BOM and `<meta charset>`, then detection (w3lib).

    A declared charset can be wrong. Bytes labelled UTF-8 that are not valid UTF-8 are read as
    windows-1252 (what such pages almost always are); bytes labelled windows-1252/latin-1 that
    are valid UTF-8 with non-ASCII characters are read as UTF-8 (a multi-byte UTF-8 sequence
    is all but impossible in real windows-1252 text).
    """
    if isinstance(html, str):
        return html
    encoding, text = html_to_unicode(content_type, html)
    if encoding in ("utf-8", "utf8"):
        # w3lib replaced what was not UTF-8 with U+FFFD: without one, the bytes were valid.
        if "\ufffd" not in text:
            return text
        try:
            html.decode("utf-8")
        except UnicodeDecodeError:
            return html.decode("cp1252", errors="replace")
        return text
    if encoding in ("cp1252", "latin_1", "iso8859-1", "windows-1252") and not html.isascii():
        try:
            return html.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return text


def parse_page(html: str | bytes, content_type: str | None, url: str) -> etree._Element:
    """The page's lxml tree, read with the charset `decode` picks.

    The parser is libxml2's HTML parser as parsel and lxml.html use it, without lxml.html's
    element classes: with those, lxml calls back into Python (`HtmlElementClassLookup.lookup`)
    for every element it hands to Python, ~60 a page, and an index of the article's classed
    elements (`scraper.clean.select.PageSelector`) would pay it for each of them.

    Bytes declared UTF-8, or declaring nothing, are parsed as they are: lxml checks UTF-8 as
    it parses and says so when bytes are not (as parsel itself relies on). Only then, or for
    another charset, is the page decoded first. Decoding 100 KB of UTF-8 to text only to check
    it was ~5% of cleaning a page (bench/README.md).
    """
    if isinstance(html, bytes) and _declared_encoding(html, content_type) in ("utf-8", "utf8"):
        body = html.replace(b"\x00", b"").strip()  # as parsel prepares bytes
        if not body:
            raise ExtractionError("empty page")
        parser = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
        try:
            root = etree.fromstring(body, parser=parser, base_url=url)
        except etree.XMLSyntaxError:  # nothing lxml could make a tree of: as below
            root = None
        if root is not None and not any(error.type in _ENCODING_ERRORS for error in parser.error_log):
            return root
    text = decode(html, content_type)
    if not text.strip():
        raise ExtractionError("empty page")
    return create_root_node(text, etree.HTMLParser, base_url=url)


#: What lxml reports of bytes that are not in the encoding it was told (parsel checks the same).
_ENCODING_ERRORS = frozenset({etree.ErrorTypes.ERR_INVALID_CHAR, etree.ErrorTypes.ERR_INVALID_ENCODING})


def _declared_encoding(html: bytes, content_type: str | None) -> str:
    """The encoding `html_to_unicode` would decode with, without decoding (no BOM: "" then)."""
    if read_bom(html)[0]:
        return ""
    return http_content_type_encoding(content_type) or html_body_declared_encoding(html) or "utf-8"
