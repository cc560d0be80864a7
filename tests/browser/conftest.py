"""Browser tests: Debian's Chromium, driven by Playwright, against real server processes.

    def test_something(page: Page) -> None: ...

The browser is the system's `/usr/bin/chromium` (Playwright never downloads one here), started
headless for each test: Playwright's synchronous API keeps an event loop running while it is
open, which would break the asyncio tests that share the worker process if it outlived a test.
Each test so gets a fresh browser, and no cookie or cache leaks from one test into the next.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A headless Chromium for one test."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context."""
    context = browser.new_context()
    opened = context.new_page()
    yield opened
    context.close()
