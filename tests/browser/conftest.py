"""A headless Chromium (Debian's, driven by Playwright) for the leaderboard tests, started once per test module;
the tests skip with the reason when Playwright or a Chromium is missing (.ci/run installs both and makes them
required)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.tools import tool_missing

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions"]


def chromium_path() -> str | None:
    """$A2BENCH_CHROMIUM, else the first Chromium on PATH."""
    configured = os.environ.get("A2BENCH_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A launched Chromium browser (Playwright), closed after the module's tests (not kept idle meanwhile)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        tool_missing("Playwright is not installed: pip install -e '.[dev]' (.ci/run does)")
    executable = chromium_path()
    if executable is None:
        tool_missing("no Chromium found: apt-get install chromium, or set $A2BENCH_CHROMIUM (.ci/run installs it)")
    with sync_playwright() as playwright:  # Playwright gives each launch a fresh, temporary profile
        launched = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $A2BENCH_TEST_ARTIFACTS, else a pytest temporary folder."""
    configured = os.environ.get("A2BENCH_TEST_ARTIFACTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("browser-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
