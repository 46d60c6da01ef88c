"""Synthetic articles for the stand-in at scale: 2,000 or 20,000 posts shaped like the bundled ones.

The bench and the scale tests need a site far larger than the 70 articles written by hand, with
the same markup (the stand-in's templates render them) and text that reads like business news,
so that the cleaner, the archive's hashes and FTS and a peer extractor see realistic pages.

Generation is deterministic: article `i` of seed `s` depends only on `(s, i)` (stdlib `random`
seeded per article), so any size is a prefix of any larger one and a test can regenerate the
article it expects. Sentences are assembled from a phrase bank; nothing is read from disk.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from scraper.standin.site import IST, StandinArticle

#: The bundled stand-in's eight categories.
CATEGORIES = (
    "Agriculture",
    "Defence",
    "Economy",
    "Energy",
    "Infrastructure",
    "Investment",
    "Technology",
    "Trade",
)

#: Published dates fall in these years (inclusive), as the bundled articles do.
FIRST_YEAR, LAST_YEAR = 2019, 2024

ACTORS = (
    "India",
    "The Union Cabinet",
    "The Reserve Bank of India",
    "The commerce ministry",
    "NITI Aayog",
    "The finance ministry",
    "Invest India",
    "The Department for Promotion of Industry and Internal Trade",
    "The Ministry of External Affairs",
    "The power ministry",
    "The Indian Space Research Organisation",
    "The Directorate General of Foreign Trade",
    "State-run refiners",
    "Indian exporters",
    "The civil aviation ministry",
    "The Ministry of Electronics and IT",
    "The shipping ministry",
    "The Ministry of New and Renewable Energy",
    "Indian Railways",
    "The Defence Research and Development Organisation",
)
PARTNERS = (
    "Japan",
    "the United Arab Emirates",
    "Australia",
    "the European Union",
    "the United Kingdom",
    "the United States",
    "Singapore",
    "Germany",
    "France",
    "South Korea",
    "Saudi Arabia",
    "Canada",
    "Brazil",
    "Indonesia",
    "Vietnam",
    "Egypt",
    "Kenya",
    "Mauritius",
    "Bangladesh",
    "Sri Lanka",
)
SECTORS = {
    "Agriculture": (
        "farm exports",
        "basmati rice",
        "millets",
        "cold storage",
        "food processing",
        "fertilisers",
        "spices",
    ),
    "Defence": (
        "defence exports",
        "indigenous fighter jets",
        "naval shipbuilding",
        "drones",
        "artillery",
        "armoured vehicles",
    ),
    "Economy": (
        "GST collections",
        "foreign exchange reserves",
        "retail inflation",
        "factory output",
        "direct tax revenue",
        "credit growth",
    ),
    "Energy": (
        "solar capacity",
        "green hydrogen",
        "offshore wind",
        "battery storage",
        "biofuels",
        "nuclear power",
    ),
    "Infrastructure": (
        "national highways",
        "metro rail",
        "port capacity",
        "regional airports",
        "freight corridors",
        "logistics parks",
    ),
    "Investment": (
        "foreign direct investment",
        "venture funding",
        "sovereign fund inflows",
        "startup listings",
        "infrastructure bonds",
        "private equity deals",
    ),
    "Technology": (
        "semiconductor fabs",
        "digital payments",
        "5G networks",
        "data centres",
        "electronics manufacturing",
        "satellite launches",
    ),
    "Trade": (
        "merchandise exports",
        "services exports",
        "the trade deficit",
        "textile exports",
        "pharmaceutical exports",
        "engineering goods",
    ),
}
VERBS_UP = ("rose", "climbed", "grew", "jumped", "increased", "expanded")
VERBS_DOWN = ("fell", "eased", "declined", "slipped", "narrowed")
PERIODS = (
    "in the April-June quarter",
    "in the last financial year",
    "year on year in March",
    "in the first half of the year",
    "over the previous quarter",
    "in 2023-24",
    "since the scheme was launched",
    "in the festive season",
    "in the December quarter",
    "over five years",
)
REASONS = (
    "helped by strong domestic demand",
    "on the back of new production-linked incentives",
    "as global supply chains shifted towards India",
    "driven by higher public capital expenditure",
    "as e-invoicing widened the tax base",
    "after tariffs on key inputs were cut",
    "supported by stable interest rates",
    "as state governments cleared land faster",
    "with private investment picking up",
    "led by small and medium enterprises",
    "despite weaker demand in Europe",
    "thanks to record monsoon rainfall",
)
OFFICIALS = (
    "a senior official said",
    "the minister told reporters",
    "the ministry said in a statement",
    "industry executives said",
    "analysts at a Mumbai brokerage said",
    "officials familiar with the talks said",
    "the chairman said at an industry event",
    "a spokesperson for the department said",
)
PLANS = (
    "The government plans to extend the scheme to more states next year.",
    "A second phase of the programme is expected to be approved by the Cabinet shortly.",
    "Officials expect the agreement to be signed before the end of the financial year.",
    "The ministry will review progress every quarter and publish the figures online.",
    "Industry bodies have asked for faster approvals and a single-window clearance system.",
    "The project is expected to create thousands of jobs in the region.",
    "Exporters said the move would make Indian products more competitive abroad.",
    "The next round of talks is scheduled to take place in New Delhi.",
    "States that meet their targets will receive additional central assistance.",
    "Companies will be able to apply through the national single window portal.",
)
CITIES = (
    "New Delhi",
    "Mumbai",
    "Bengaluru",
    "Chennai",
    "Hyderabad",
    "Ahmedabad",
    "Pune",
    "Kolkata",
    "Visakhapatnam",
    "Kochi",
)
#: Templates of titles, body sentences and highlights; `{field}`s are drawn as they are met.
TITLES = (
    "{actor} signs agreement with {partner} on {sector}",
    "{Sector} {up} {pct}% {period}",
    "India and {partner} to deepen cooperation in {sector}",
    "{actor} unveils ₹{crore} crore plan for {sector}",
    "{Sector} hit a record {period}",
    "{city} to host summit on {sector}",
    "{partner} firms commit ₹{crore} crore to {sector} in India",
    "New policy to boost {sector} approved",
)
SENTENCES = (
    "{Sector} {up} {pct}% {period}, {reason}, {official}.",
    "{actor} said investment in {sector} would reach ₹{crore} crore by {target_year}.",
    "“We are seeing steady interest from {partner} in {sector},” {official}, adding that talks"
    " with several companies were at an advanced stage.",
    "Imports of {other_sector} {down} {pct}% {period}, while exports held steady.",
    "The plant near {city} will have an annual capacity of {lakh} lakh units and is due to"
    " start production in {start_year}.",
    "{actor} has set up a task force with {partner} to remove bottlenecks in {sector}.",
    "{plan}",
)
#: What a summary is made of: news, never the boilerplate plan.
NEWS = SENTENCES[:-1]
HIGHLIGHT = "{Sector} {up} {pct}% {period}"
TAG_WORDS = (
    "exports",
    "fdi",
    "msme",
    "pli",
    "startups",
    "gst",
    "renewables",
    "logistics",
    "make-in-india",
    "trade-agreement",
    "semiconductors",
    "digital-india",
    "green-hydrogen",
    "infrastructure",
    "agritech",
)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Writer:
    """Titles, sentences and highlights of one article, drawn from its own seeded generator."""

    def __init__(self, rng: random.Random, category: str) -> None:
        self.rng = rng
        sectors = SECTORS[category]
        pick = rng.choice
        self.fields: dict[str, Callable[[], object]] = {
            "actor": lambda: pick(ACTORS),
            "partner": lambda: pick(PARTNERS),
            "sector": lambda: pick(sectors),
            "Sector": lambda: _capitalise(pick(sectors)),
            "other_sector": lambda: pick(sectors),
            "up": lambda: pick(VERBS_UP),
            "down": lambda: pick(VERBS_DOWN),
            "pct": lambda: f"{rng.randint(2, 48)}.{rng.randint(0, 9)}",
            "period": lambda: pick(PERIODS),
            "reason": lambda: pick(REASONS),
            "official": lambda: pick(OFFICIALS),
            "crore": lambda: f"{rng.randint(1, 99) * 1000 + rng.randint(0, 9) * 100:,}",
            "city": lambda: pick(CITIES),
            "lakh": lambda: rng.randint(2, 90),
            "target_year": lambda: rng.randint(2025, 2030),
            "start_year": lambda: rng.randint(2024, 2027),
            "plan": lambda: pick(PLANS),
        }

    def fill(self, template: str) -> str:
        return template.format_map(_Drawn(self.fields))

    def sentence(self) -> str:
        return self.fill(self.rng.choice(SENTENCES))

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 6)))


class _Drawn(dict[str, object]):
    """A template's fields, each drawn the first time the template names it."""

    def __init__(self, fields: dict[str, Callable[[], object]]) -> None:
        super().__init__()
        self.draw = fields

    def __missing__(self, name: str) -> object:
        value = self[name] = self.draw[name]()
        return value


def _slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower().replace("₹", "rs ")).strip("-")[:70].rstrip("-")


def synthetic_article(index: int, seed: int = 0) -> StandinArticle:
    """Article `index` of the synthetic site `seed`; its slug ends in its index, so it is unique."""
    rng = random.Random(f"newsdelta-synthetic:{seed}:{index}")
    categories = rng.sample(CATEGORIES, rng.choice((1, 1, 1, 2)))
    writer = _Writer(rng, categories[0])
    title = writer.fill(rng.choice(TITLES))
    start = datetime(FIRST_YEAR, 1, 1, tzinfo=IST)
    span_minutes = int((datetime(LAST_YEAR + 1, 1, 1, tzinfo=IST) - start).total_seconds() // 60)
    published = start + timedelta(minutes=rng.randrange(span_minutes))
    body = [writer.paragraph() for _ in range(rng.randint(4, 7))]
    summary = " ".join(writer.fill(rng.choice(NEWS)) for _ in range(2))
    return StandinArticle(
        slug=f"{_slugify(title)}-{index}",
        title=title,
        summary=summary,
        published=published.replace(second=0),
        categories=categories,
        highlights=[writer.fill(HIGHLIGHT) for _ in range(rng.randint(3, 4))],
        body=body,
        tags=rng.sample(TAG_WORDS, rng.randint(2, 4)),
        author=rng.choice(("IndBiz Desk", "IndBiz Team", "IndBiz Correspondent")),
    )


def synthetic_articles(count: int, seed: int = 0) -> Iterator[StandinArticle]:
    """`count` synthetic articles, one at a time (a prefix of any larger count)."""
    for index in range(count):
        yield synthetic_article(index, seed)
