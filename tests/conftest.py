"""Shared fixtures: the stand-in over real HTTP on 127.0.0.1, archives in temporary files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.standin import StandinServer, StandinSite


@pytest.fixture(scope="session")
def standin() -> Iterator[StandinServer]:
    """The bundled stand-in, unchanged, for tests that only read it."""
    with StandinServer(StandinSite()) as server:
        yield server


@pytest.fixture
def live_site() -> Iterator[StandinServer]:
    """A fresh stand-in of its own, for tests that change it."""
    with StandinServer(StandinSite()) as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"

