"""The extraction-quality benchmark (`python -m bench.quality`): scoring, corpus, run."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from bench.quality_corpus import load_pages
from bench.quality_score import Score, mean_score, score, tokens
from tests.support import python_module


def test_identical_text_scores_one() -> None:
    assert score("The cat sat.", "the CAT sat") == Score(1.0, 1.0, 1.0)


def test_disjoint_text_scores_zero() -> None:
    assert score("the cat sat", "a dog ran") == Score(0.0, 0.0, 0.0)


def test_partial_overlap_by_hand() -> None:
    # expected: a a b c (4 tokens); extracted: a b b d e (5 tokens).
    # Shared with multiplicity: a once, b once -> 2. P = 2/5, R = 2/4, F1 = 2PR/(P+R) = 4/9.
    result = score("a a b c", "a b b d e")
    assert result.precision == pytest.approx(0.4)
    assert result.recall == pytest.approx(0.5)
    assert result.f1 == pytest.approx(4 / 9)


def test_nothing_extracted_is_a_failure_not_a_skip() -> None:
    assert score("some words", "") == Score(0.0, 0.0, 0.0)
    assert score("", "") == Score(1.0, 1.0, 1.0)


def test_tokens_are_lowercase_words_of_any_script() -> None:
    assert tokens("Don’t PANIC — naïve café, 42!") == {
        "don": 1,
        "t": 1,
        "panic": 1,
        "naïve": 1,
        "café": 1,
        "42": 1,
    }


def test_mean_is_over_pages_not_tokens() -> None:
    mean = mean_score([Score(1.0, 1.0, 1.0), Score(0.0, 0.5, 0.0)])
    assert mean == Score(0.5, 0.75, 0.5)


def test_every_expected_body_is_the_pages_own_words() -> None:
    """Expected bodies come from the sources' ground truth; each must be words of its page."""
    pages = load_pages()
    assert len(pages) >= 3
    for page in pages:
        root = lxml_html.fromstring(page.html)
        visible = tokens(" ".join(root.itertext()))
        expected = tokens(page.expected_text)
        missing = sum((expected - visible).values())
        assert missing <= 0.02 * sum(expected.values()), page.name


def test_smoke_run_prints_the_table_of_the_three_extractors() -> None:
    result = python_module("bench.quality", "--smoke")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("extractor"))
    assert header.split() == ["extractor", "precision", "recall", "F1", "pages", "ms/page"]
    for name in ("newsdelta fallback", "trafilatura", "readability-lxml"):
        row = next(line for line in lines if line.startswith(name))
        assert row.split()[-2] == "3"  # pages
    assert any(line.startswith(("PASS:", "FAIL:")) for line in lines)
