"""A real browser on `newsdelta serve`: the diff reads as marked words and hostile text never runs.

Debian's chromium (/usr/bin/chromium, installed by .ci/run) driven by Playwright; Playwright's
own browser downloads are never used. The archive holds an article whose title and body are
`<script>`, `onerror=` and `javascript:` markup: if any of it ran, `window.__pwned` would be set.
A screenshot of the diff page is kept in tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import select
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import NEWSDELTA, ROOT, open_archive
from tests.test_datasette import INSERTED, SCRIPT, Built, build_archive

CHROMIUM = Path("/usr/bin/chromium")
#: Quiet, sandbox-free, offline-friendly headless Chromium; the profile is a new empty folder.
LAUNCH_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
START_TIMEOUT_S = 30.0
#: What would show that archived markup ran, or became live markup, in the page.
ATTACK_PROBE = """() => ({
    pwned: window.__pwned === undefined ? null : window.__pwned,
    scripts: [...document.scripts].filter(s => s.textContent.includes('__pwned')).length,
    onerror: document.querySelectorAll('[onerror]').length,
    javascriptLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
})"""
SAFE = {"pwned": None, "scripts": 0, "onerror": 0, "javascriptLinks": 0}


@dataclass(frozen=True)
class Served:
    url: str
    built: Built


def require_browser() -> Any:
    """Playwright's sync API and Debian's chromium, or a failure that says how to get them."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium as root (`apt-get update && apt-get install -y "
            "chromium`; .ci/run does this). The browser test never downloads a browser of its own.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the Python package playwright is missing: pip install -e '.[test]'", pytrace=False)
    return sync_playwright


def _read_url(process: subprocess.Popen[str]) -> str:
    """The address `newsdelta serve` prints once it listens ("Serving … at http://…/")."""
    deadline = time.monotonic() + START_TIMEOUT_S
    assert process.stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            if " at http://" in line:
                return line.split(" at ", 1)[1].split()[0]
        if process.poll() is not None:
            break
    process.kill()
    _, stderr = process.communicate()
    pytest.fail(f"newsdelta serve did not start: {stderr.strip()}", pytrace=False)


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`newsdelta serve` in its own process, on a free port of 127.0.0.1, over a crawled archive."""
    built = build_archive(tmp_path_factory.mktemp("browser") / "archive.db")
    process = subprocess.Popen(
        [NEWSDELTA, "serve", "--db", str(built.path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = _read_url(process)
        assert url.startswith("http://127.0.0.1:")
        _wait_until_up(url)
        yield Served(url, built)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def page(served: Served) -> Iterator[Any]:
    sync_playwright = require_browser()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=LAUNCH_FLAGS,
            viewport={"width": 1100, "height": 760},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def change_id(built: Built, url: str) -> int:
    with open_archive(built.path) as archive:
        return next(archive.db.query("select changes.id from changes join articles on articles.id = article_id "
                                     "where url = ? and kind = 'edited'", [url]))["id"]


def test_the_changes_page_shows_hostile_titles_as_text(page: Any, served: Served) -> None:
    page.goto(f"{served.url}archive/recent_changes")
    assert page.evaluate(ATTACK_PROBE) == SAFE
    assert f"{SCRIPT} Trade envoys meet in Delhi" in page.inner_text("body")
    assert page.locator("ins", has_text=INSERTED).count() == 2  # both edits, inline


def test_the_diff_page_marks_insertions_and_deletions(page: Any, served: Served) -> None:
    edited = change_id(served.built, served.built.edited_url)
    page.goto(f"{served.url}archive/recent_changes")
    page.click(f'a[href="/-/newsdelta/changes/{edited}"]')
    page.wait_for_url(f"**/-/newsdelta/changes/{edited}")
    assert page.locator(".nd-diff ins").inner_text() == INSERTED
    assert page.locator(".nd-diff del").inner_text() == served.built.deleted_word
    assert page.evaluate("getComputedStyle(document.querySelector('.nd-diff del')).textDecorationLine") == "line-through"
    assert page.evaluate(ATTACK_PROBE) == SAFE
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "diff-page.png"), full_page=True)


def test_the_hostile_article_diff_and_text_never_run(page: Any, served: Served) -> None:
    page.goto(f"{served.url}-/newsdelta/changes/{change_id(served.built, served.built.probe_url)}")
    assert page.evaluate(ATTACK_PROBE) == SAFE
    assert page.locator(".nd-diff ins").inner_text() == INSERTED
    assert 'href="javascript:window.__pwned=1"' in page.locator(".nd-diff").inner_text()
    assert SCRIPT in page.locator("h1").inner_text()
    page.click("text=version 2")
    page.wait_for_url("**/-/newsdelta/versions/*")
    assert page.evaluate(ATTACK_PROBE) == SAFE
    text = page.locator(".nd-text").inner_text()
    assert SCRIPT in text and 'onerror="window.__pwned=1"' in text


def test_an_archived_page_is_shown_without_running_its_scripts_or_fetching_the_live_site(page: Any, served: Served) -> None:
    """The page as fetched (`/-/newsdelta/versions/ID/page`): the stand-in's WordPress theme has
    inline scripts (`window.dataLayer`, `indbizScreenReaderText`) and scripts, styles and
    images on the site; in the sandbox none runs and nothing but the archived page is fetched."""
    with open_archive(served.built.path) as archive:
        (version_id,) = archive.db.execute(
            "select versions.id from versions join articles on articles.id = article_id where url = ?", [served.built.edited_url]
        ).fetchone()
    answered: list[str] = []
    blocked: list[str] = []

    def on_response(response: Any) -> None:
        answered.append(response.url)

    def on_failure(request: Any) -> None:
        blocked.append(f"{request.url} {request.failure}")

    page.on("response", on_response)
    page.on("requestfailed", on_failure)
    url = f"{served.url}-/newsdelta/versions/{version_id}/page"
    try:
        response = page.goto(url)
        assert response is not None and response.status == 200
        page.wait_for_load_state("load")
    finally:  # the page is the module's
        page.remove_listener("response", on_response)
        page.remove_listener("requestfailed", on_failure)
    assert answered == [url]
    assert blocked and all(failure.endswith(" csp") for failure in blocked), blocked  # the theme's styles and images
    ran = page.evaluate("() => [typeof window.dataLayer, typeof window.indbizScreenReaderText]")
    assert ran == ["undefined", "undefined"]
