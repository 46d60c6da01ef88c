"""The cleaner on stored pages: HTML in, a Document out, compared field by field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from scraper.clean import ExtractionError, IncompletePage, NotAnArticle, clean, decode
from scraper.clean.blocks import body_blocks
from scraper.clean.complete import check_complete
from scraper.clean.density import main_content
from scraper.document import from_dict, render_text, to_dict
from scraper.sites import get_site

INDBIZ = get_site("indbiz")

FIXTURES = Path(__file__).parent / "fixtures" / "indbiz"
GOLDEN = Path(__file__).parent / "golden" / "seed.txt"
CASES = sorted(path.stem for path in FIXTURES.glob("*.json"))
FIELDS = ("url", "title", "summary", "published", "highlights", "body", "categories", "tags", "author", "images", "recent")


def load(name: str) -> tuple[bytes, dict]:
    return (FIXTURES / f"{name}.html").read_bytes(), json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))


def strip_lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def test_there_are_fixtures_of_every_messy_page() -> None:
    assert {"seed", "gst-nbsp-br-also-read-unclosed", "ports-image-table", "electronics-list-quote-subheadings", "spices-windows-1252"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_fixture_cleans_to_the_pages_own_words(name: str) -> None:
    html, expected = load(name)
    document = to_dict(clean(html, expected["fetched_url"], INDBIZ, content_type=expected["content_type"]))
    for field in FIELDS:
        assert document[field] == expected[field], field


def test_seed_page_renders_exactly_the_seed_text() -> None:
    html, expected = load("seed")
    document = clean(html, expected["fetched_url"], INDBIZ, content_type=expected["content_type"])
    assert strip_lines(render_text(document)) == strip_lines(GOLDEN.read_text("utf-8"))


@pytest.mark.parametrize(
    "canonical, filed_under",
    [
        ("https://indbiz.gov.in/india-strengthens-defence-ties-with-japan-south-korea/", "canonical"),
        ("/india-deepens-defence-ties-with-japan-and-south-korea/", "https://indbiz.gov.in/india-deepens-defence-ties-with-japan-and-south-korea/"),
        ("https://indbiz.gov.in/", "fetched"),  # a theme that names the home page for every article
        ("https://indbiz.gov.in/category/economy/", "fetched"),  # a listing
        ("https://indbiz.gov.in/?p=4521", "fetched"),  # a shortlink, no article address of the profile
        ("https://elsewhere.example/india-strengthens-defence-ties-with-japan-south-korea/", "fetched"),  # another host
    ],
)
def test_the_canonical_url_is_trusted_when_it_is_an_article_address_on_the_fetched_host(canonical: str, filed_under: str) -> None:
    html, expected = load("seed")
    fetched = "https://indbiz.gov.in/india-strengthens-defence-ties-with-japan-south-korea/?utm_source=x"
    original = b'<link rel="canonical" href="https://indbiz.gov.in/india-strengthens-defence-ties-with-japan-south-korea/" />'
    assert original in html
    page = html.replace(original, f'<link rel="canonical" href="{canonical}" />'.encode())
    url = clean(page, fetched, INDBIZ, content_type=expected["content_type"]).url
    assert url == {"canonical": canonical, "fetched": fetched}.get(filed_under, filed_under)


def test_a_password_protected_post_is_no_article_to_archive() -> None:
    """WordPress marks the page of a "Password protected" post with `post-password-required`;
    what it shows ("Protected: TITLE", a password form) is not the article."""
    html, expected = load("seed")
    body_tag = re.search(rb'<body class="([^"]*)"', html)
    assert body_tag is not None
    protected = html.replace(body_tag[0], b'<body class="' + body_tag[1] + b' post-password-required"')
    with pytest.raises(ExtractionError, match=r"^the article is password protected$"):
        clean(protected, expected["fetched_url"], INDBIZ, content_type=expected["content_type"])


@pytest.mark.parametrize(
    ("marks", "post_id"),
    [
        ({}, "1008"),  # the page as IndBiz serves it: `postid-1008` on its <body>
        ({"shortlink": "https://indbiz.gov.in/?p=1008"}, "1008"),  # and its shortlink, which agrees
        ({"body": ""}, ""),  # a theme without body_class(), no shortlink
        ({"body": "", "shortlink": "https://indbiz.gov.in/?p=1008"}, "1008"),
        ({"body": "", "shortlink": "https://indbiz.gov.in/?p=abc"}, ""),  # not WordPress' number
        ({"body": "single postid-x12", "shortlink": "https://indbiz.gov.in/?page_id=3"}, ""),
        ({"body": "single page-id-77"}, ""),  # a page's id, not a post's
    ],
)
def test_the_post_id_is_wordpress_own_from_the_body_class_or_the_shortlink(marks: dict[str, str], post_id: str) -> None:
    """WordPress' post ID stays when an article's slug changes: the archive follows it there."""
    html, expected = load("seed")
    body_tag = re.search(rb'<body class="([^"]*)"', html)
    assert body_tag is not None and b"postid-1008" in body_tag[1]
    if "body" in marks:
        html = html.replace(body_tag[0], f'<body class="{marks["body"]}"'.encode())
    if "shortlink" in marks:
        html = html.replace(b"</head>", f"<link rel='shortlink' href='{marks['shortlink']}' />\n</head>".encode(), 1)
    document = clean(html, expected["fetched_url"], INDBIZ, content_type=expected["content_type"])
    assert document.post_id == post_id
    assert list(document.body) == expected["body"]  # context, not content: the article reads the same


def test_charset_is_found_in_the_page_when_the_header_has_none() -> None:
    html, expected = load("spices-windows-1252")
    assert b"\x93ready-to-use\x94" in html  # curly quotes as windows-1252 bytes
    document = clean(html, expected["fetched_url"], INDBIZ)  # no Content-Type: <meta charset> decides
    assert list(document.body) == expected["body"]
    assert "“ready-to-use”" in document.body[0]


def test_a_page_labelled_utf8_that_is_not_is_read_as_windows_1252() -> None:
    """lxml parses UTF-8 bytes as they are and reports bytes that are not UTF-8: those pages
    are decoded first, as windows-1252."""
    html, expected = load("spices-windows-1252")
    document = clean(html, expected["fetched_url"], INDBIZ, content_type="text/html; charset=UTF-8")
    assert list(document.body) == expected["body"]
    assert "\ufffd" not in render_text(document)


@pytest.mark.parametrize("name", CASES)
def test_bytes_clean_as_their_decoded_text_does(name: str) -> None:
    """UTF-8 bytes skip decoding; NUL bytes are dropped on either path."""
    html, expected = load(name)
    url, content_type = expected["fetched_url"], expected["content_type"]
    from_text = clean(decode(html, content_type), url, INDBIZ)
    assert clean(html, url, INDBIZ, content_type=content_type) == from_text
    with_nuls = html.replace(b"<p>", b"<p>\x00", 3).replace(b"<h1", b"\x00<h1", 1)
    assert with_nuls != html
    assert clean(with_nuls, url, INDBIZ, content_type=content_type) == from_text


def test_chrome_never_reaches_the_document() -> None:
    html, expected = load("gst-nbsp-br-also-read-unclosed")
    text = render_text(clean(html, expected["fetched_url"], INDBIZ))
    for chrome in ("Share this", "Also read", "Leave a Reply", "adsbygoogle", "Subscribe", "views", "not content", "\xa0"):
        assert chrome not in text


def test_every_field_names_the_layer_it_came_from() -> None:
    html, expected = load("seed")
    document = clean(html, expected["fetched_url"], INDBIZ)
    assert document.extraction["title"] == "profile"
    assert document.extraction["body"] == "profile"


def test_without_a_profile_wordpress_conventions_and_metadata_still_clean_it() -> None:
    html, expected = load("seed")
    document = clean(html, expected["fetched_url"], None)
    assert document.title == expected["title"]
    assert list(document.body) == expected["body"]
    assert document.published.isoformat() == expected["published"]
    assert document.extraction["title"] == "metadata"


def test_document_json_round_trips() -> None:
    html, expected = load("ports-image-table")
    document = clean(html, expected["fetched_url"], INDBIZ)
    assert from_dict(json.loads(json.dumps(to_dict(document)))) == document


@pytest.mark.parametrize("name", ["not-article-listing", "not-article-page"])
def test_pages_that_are_not_articles_are_refused(name: str) -> None:
    with pytest.raises(NotAnArticle):
        clean((FIXTURES / f"{name}.html").read_bytes(), "https://indbiz.gov.in/x/", INDBIZ)


@pytest.mark.parametrize(
    "html",
    [
        b"",
        "   \n",
        "<html><head><title>Oops</title></head><body><h1>Oops! That page can’t be found.</h1></body></html>",
        "<html><body class='single-post'><h1 class='entry-title'>A title</h1><div class='entry-content'></div></body></html>",
        "<html><body class='single-post'><div class='entry-content'><p>Words but no title</p></div></body></html>",
        b"\x00\xff\xfe garbage \x81\x8d",
    ],
)
def test_empty_broken_or_error_pages_raise_the_one_extraction_error(html: str | bytes) -> None:
    with pytest.raises(ExtractionError):
        clean(html, "https://indbiz.gov.in/x/", INDBIZ)


def test_unclosed_tags_and_br_lines_become_separate_paragraphs() -> None:
    html = (
        "<html><body class='single-post'><h1 class='entry-title'>T</h1><div class='entry-content'>"
        "<p>First line<br>second&nbsp;line<p>Unclosed <b>bold</p><ul><li>one<li>two</ul></div></body></html>"
    )
    assert clean(html, "https://indbiz.gov.in/t/", INDBIZ).body == ("First line", "second line", "Unclosed bold", "one", "two")


# -- the fallback's main-content detection (scraper/clean/density.py), on hand-written pages --

PROSE = (
    "The harbour board approved the new berth on Monday, after two years of studies, and work will start in spring.",
    "Shipping lines had asked for deeper water for years, the board said, and the dredging is paid for by the state.",
    "Fishermen, who use the old quay, worried about noise, but the board promised that their moorings would stay.",
    "The berth will take the largest container ships, which now unload in the next port, two hours down the coast.",
)


def fallback_paragraphs(html: str) -> list[str]:
    """What the fallback finds in a page: `main_content`'s element, read by `body_blocks`."""
    element = main_content(lxml_html.document_fromstring(html))
    assert element is not None
    return body_blocks(element, "https://paper.example/a")[0]


def test_fallback_finds_br_separated_text_in_a_div() -> None:
    html = (
        "<html><body><div><a href='/'>Home</a> | <a href='/news'>News</a> | <a href='/about'>About</a></div>"
        f"<div><p>Subscribe to our newsletter today</p></div><div>{PROSE[0]}<br><br>{PROSE[1]}<br>{PROSE[2]}</div>"
        "<div><p>Comments are closed.</p></div></body></html>"
    )
    assert fallback_paragraphs(html) == list(PROSE[:3])


def test_fallback_merges_a_body_split_across_sibling_containers() -> None:
    def chunk(*paragraphs: str) -> str:
        rail = "<div><h4>Most popular</h4><a href='/1'>Ten tools for the garden</a> <a href='/2'>Best phones</a></div>"
        prose = "".join(f"<p>{text}</p>" for text in paragraphs)
        return f"<div class='row'><div class='col'><div class='text'>{prose}</div></div>{rail}</div>"

    ad = "<div class='row ad'><div class='slot'></div></div>"
    html = (
        f"<html><body><div id='chunks'>{chunk(PROSE[0], PROSE[1])}{ad}{chunk(PROSE[2])}{ad}{chunk(PROSE[3])}"
        "</div></body></html>"
    )
    assert fallback_paragraphs(html) == list(PROSE)


def test_fallback_leaves_out_a_gallery_and_a_related_links_list_inside_the_article() -> None:
    gallery = "".join(
        f"<div><img src='/p{i}.jpg'><span>Photo {i}: the quay at dawn, seen from the lighthouse, in May.</span></div>"
        for i in range(4)
    )
    related = "".join(f"<li><a href='/story-{i}'>Another story about the harbour, part {i}</a></li>" for i in range(5))
    html = (
        f"<html><body><div class='story'><p>{PROSE[0]}</p><p>{PROSE[1]}</p><div class='gallery'>{gallery}</div>"
        f"<p>{PROSE[2]}</p><ul>{related}</ul><p>{PROSE[3]}</p></div></body></html>"
    )
    assert fallback_paragraphs(html) == list(PROSE)


def test_a_footer_full_of_links_never_wins() -> None:
    links = "".join(
        f"<li><a href='/section-{i}'>All the news from section {i}, with opinion, analysis and more</a></li>"
        for i in range(40)
    )
    html = (
        f"<html><body><div class='article'><p>{PROSE[0]}</p><p>{PROSE[1]}</p></div>"
        f"<div class='site-map'><ul>{links}</ul></div><footer><p>{PROSE[2]}</p><p>{PROSE[3]}</p>"
        f"<p>{PROSE[2]}</p></footer></body></html>"
    )
    assert fallback_paragraphs(html) == list(PROSE[:2])



# -- pages cut short, or ending in a server's error message (scraper/clean/complete.py) ----------

REAL_PAGES = sorted((Path(__file__).parents[1] / "bench" / "pages").glob("*.html"))
WP_CRITICAL_ERROR = b'<body id="error-page"><div class="wp-die-message"><p>There has been a critical error on this website.</p></div></body></html>'
PHP_FATAL = b"<br />\n<b>Fatal error</b>:  Uncaught Error: Call to undefined function in <b>/var/www/x.php</b> on line <b>7</b><br />\n"


@pytest.mark.parametrize("path", [*REAL_PAGES, *sorted(FIXTURES.glob("*.html"))], ids=lambda path: path.stem)
def test_whole_pages_pass_the_completeness_check(path: Path) -> None:
    check_complete(path.read_bytes())


def test_a_page_cut_short_or_ending_in_an_error_is_incomplete() -> None:
    html, expected = load("seed")
    cut = html[: html.index(b"Later, Shri Rajnath Singh")]
    for page, reason in [
        (cut, "it ends before its </html> (cut short)"),
        (cut + WP_CRITICAL_ERROR, "WordPress printed its critical-error message in it"),
        (cut + PHP_FATAL, "PHP printed an error in it"),
    ]:
        with pytest.raises(IncompletePage, match=re.escape(reason)):
            clean(page, expected["fetched_url"], INDBIZ, content_type=expected["content_type"])
        assert issubclass(IncompletePage, ExtractionError)  # the one error callers record as a failure
    check_complete(cut, require_html_end=False)  # a profile can let a missing </html> pass…
    with pytest.raises(IncompletePage):
        check_complete(cut + PHP_FATAL, require_html_end=False)  # …never an error message


@pytest.mark.parametrize(
    "page",
    [
        b"<html><body><p>x</p></body></HTML>",
        b"<html><body><p>x</p></body></html>\n<!-- Page cached by LiteSpeed Cache on 2024-04-28 -->\n",
        "<html><body><p>x</p></body></html>".encode("utf-16"),
        "<html><body><p>x</p></body></html>",
    ],
    ids=["capitals", "cache-comment-after", "utf-16", "text"],
)
def test_the_end_of_a_page_is_found_in_any_case_charset_or_after_a_comment(page: str | bytes) -> None:
    check_complete(page)
    with pytest.raises(IncompletePage):
        check_complete(page[: len(page) // 4])


def test_a_page_whose_host_injects_scripts_after_its_end_is_whole() -> None:
    """Past the last 8 KB, the whole page is searched for its `</html>`."""
    injected = b"\n" + b"<script>var hostStats = 1;</script>\n" * 500
    check_complete(b"<html><body><p>x</p></body></html>" + injected)
    with pytest.raises(IncompletePage):
        check_complete(b"<html><body><p>x</p>" + injected)
