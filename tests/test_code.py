"""The code stays as clean as it is: ruff's rules and mypy's types, as pyproject.toml sets them.

Both run from the project root with this interpreter's tools (the test extra installs them), so
what passes here passes at a developer's desk with `ruff check .` and `mypy`.
"""

from __future__ import annotations

import sys

from tests.support import run


def test_ruff_finds_nothing() -> None:
    result = run(sys.executable, "-m", "ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing() -> None:
    result = run(sys.executable, "-m", "mypy", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
