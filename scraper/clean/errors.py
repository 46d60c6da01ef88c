class ExtractionError(ValueError):
    """A page that yields no article: no title, no body, or not an article page at all.

    The one exception `clean` raises for any input: callers record it as a fetch failure and
    never as an edit or a removal.
    """


class NotAnArticle(ExtractionError):
    """A page of the site that is not an article: a listing, a static page, an error page."""
