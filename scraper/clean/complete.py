"""Is this the whole page the site meant to send? (pure: bytes in, an answer out)

When PHP dies half-way through a WordPress page (memory exhausted, a plugin's bug), the status
line has already gone out as 200: the page stops mid-article, and WordPress' fatal-error
handler (5.2+) or PHP itself may print an error message after what was sent. Cleaned as it
came, such a page is an article whose body lost its second half: an edit that never was.
So a page is read only when it ends as pages end, with `</html>` (every page of the 13 sites
in `bench/pages/` does, within its last 4 KB), and ends with no error message of WordPress or
PHP. Both print theirs where the script died and stop there, so only the page's last bytes are
searched: the whole page would cost ~0.1 ms of the ~1.5 ms a page is cleaned in.
"""

from __future__ import annotations

import re

from w3lib.encoding import read_bom

from scraper.clean.errors import ExtractionError

#: How far from the end `</html>` and the error messages may be: caching plugins add a
#: comment after `</html>`; WordPress' error page has ~3 KB of styles before its message.
TAIL_BYTES = 8192
#: WordPress' wp_die() page, which its fatal-error handler prints ("There has been a critical
#: error on this website."), and PHP's own error output (display_errors on).
_WORDPRESS_ERROR = "wp-die-message"
_PHP_ERROR = re.compile(r"<b>(?:Fatal|Parse) error</b>:")
_HTML_END = re.compile(r"</html", re.IGNORECASE)


class IncompletePage(ExtractionError):
    """A page cut short, or with a server error's message in it: a failed fetch, not an edit."""


def check_complete(html: str | bytes, *, require_html_end: bool = True) -> None:
    """Raise `IncompletePage` for a page cut short or holding a WordPress or PHP error.

    `require_html_end`: a page must end with `</html>` (a site profile turns it off for a
    site whose minifier leaves that optional tag out).
    """
    tail = _ascii_view(html, last=TAIL_BYTES)
    if _WORDPRESS_ERROR in tail:
        raise IncompletePage("the page is incomplete: WordPress printed its critical-error message in it")
    if "error</b>:" in tail and _PHP_ERROR.search(tail):
        raise IncompletePage("the page is incomplete: PHP printed an error in it")
    # Past the tail, the whole page: a host may inject its scripts after `</html>`.
    if require_html_end and tail.strip() and not _ends_html(tail) and not _ends_html(_ascii_view(html)):
        raise IncompletePage("the page is incomplete: it ends before its </html> (cut short)")


def _ends_html(tail: str) -> bool:
    """`</html` in any letter case; the two usual cases first, each a fast substring search."""
    return "</html" in tail or "</HTML" in tail or _HTML_END.search(tail) is not None


def _ascii_view(html: str | bytes, last: int | None = None) -> str:
    """The page (or its `last` characters) as text in which ASCII markup can be searched:
    bytes in any ASCII-compatible charset as latin-1 (a character a byte), UTF-16/32 decoded."""
    if isinstance(html, bytes):
        encoding, bom = read_bom(html)
        if encoding is None or bom is None or not encoding.startswith(("utf-16", "utf-32")):
            return (html[-last:] if last else html).decode("latin-1")
        html = html[len(bom) :].decode(encoding, errors="replace")
    return html[-last:] if last else html
