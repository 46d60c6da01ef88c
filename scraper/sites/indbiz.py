"""IndBiz (indbiz.gov.in): the Economic Diplomacy Division's WordPress business-news site."""

import re

from scraper.sites import ListingSelectors, Selectors, SiteProfile

#: WordPress' /%postname%/ permalinks, less the URL spaces that are never posts.
ARTICLE_PATH = re.compile(
    r"^/(?!(?:page|category|tag|author|feed|comments|search|wp-[a-z-]+)/)[a-z0-9][a-z0-9-]*/$"
)

SELECTORS = Selectors(
    article="body.single-post article.type-post",
    title="article.type-post h1.entry-title",
    summary="article.type-post .entry-excerpt",
    published="article.type-post time.entry-date.published::attr(datetime)",
    modified="article.type-post time.updated::attr(datetime)",
    highlights="article.type-post .key-highlights li",
    body="article.type-post .entry-content",
    categories="article.type-post .cat-links a",
    tags="article.type-post .tags-links a",
    author="article.type-post .byline .author a",
    recent=".widget_recent_entries li",
    recent_title="a.recent-title",
    recent_date="time::attr(datetime)",
    recent_teaser=".recent-excerpt",
    prune=(
        ".sharedaddy",
        ".code-block",
        ".also-read",
        ".jp-relatedposts",
        "ins.adsbygoogle",
    ),
)

LISTING = ListingSelectors(
    entry_link="article.type-post .entry-title a::attr(href)",
    entry_summary=".entry-summary",
    next_page="a.next.page-numbers::attr(href)",
)

INDBIZ = SiteProfile(
    name="indbiz",
    base_url="https://indbiz.gov.in",
    article_path=ARTICLE_PATH,
    selectors=SELECTORS,
    listing=LISTING,
    sitemaps=("/wp-sitemap.xml",),
    sitemap_follow=(r"wp-sitemap-posts-post-\d+\.xml",),
)
