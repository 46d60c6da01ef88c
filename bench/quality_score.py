"""Token-overlap precision, recall and F1 of an extracted body against the expected one.

The measure of scrapinghub's article-extraction-benchmark (`evaluate.py`), on single tokens:
each text is a bag (multiset) of lowercase `\\w+` tokens, and a token counts as found as many
times as it occurs in both bags. A bag ignores order and paragraph breaks on purpose: extractors
split blocks differently, and what matters here is which words of the page they kept.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> Counter[str]:
    """The text's bag of lowercase word tokens (any script: `\\w` is Unicode-aware)."""
    return Counter(_TOKEN.findall(text.lower()))


@dataclass(frozen=True)
class Score:
    """Precision: share of the extracted tokens that are the article's; recall: the reverse."""

    precision: float
    recall: float
    f1: float


def score(expected: str, extracted: str) -> Score:
    """One page's score. Nothing extracted from a page with words is a failure: all zeros.

    (The original benchmark leaves such a page out of the precision mean; counting it as 0
    keeps an extractor that gives up on hard pages from looking precise.)
    """
    truth, found = tokens(expected), tokens(extracted)
    if not truth and not found:
        return Score(1.0, 1.0, 1.0)
    overlap = sum((truth & found).values())
    precision = overlap / sum(found.values()) if found else 0.0
    recall = overlap / sum(truth.values()) if truth else 0.0
    return Score(precision, recall, _f1(precision, recall))


def mean_score(scores: Iterable[Score]) -> Score:
    """Macro average over pages, so that a long page weighs no more than a short one."""
    scores = list(scores)
    if not scores:
        return Score(0.0, 0.0, 0.0)
    return Score(
        statistics.fmean(s.precision for s in scores),
        statistics.fmean(s.recall for s in scores),
        statistics.fmean(s.f1 for s in scores),
    )


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0
