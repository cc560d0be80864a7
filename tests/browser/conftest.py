"""Browser-test fixtures: Debian's Chromium driven by Playwright against a real `flagpilot serve`.

    def test_flags_page(admin_page: Page, ui_server: UiServer) -> None:
        admin_page.goto(ui_server.url(FLAGS_PATH))

- `browser` (module): one headless Chromium shared by a module's tests, `/usr/bin/chromium` only — a
  browser is never downloaded (`.ci/run` installs Debian's `chromium` when it is missing).
- `ui_server` (module): a `flagpilot serve` on a free loopback port with a fresh SQLite database
  (`flagpilot init`: the preset), and `create_user(login, role)` through the real CLI.
- `context` / `page` (function): a fresh browser context (its own cookies) and page per test.
- `admin_page`, `editor_page`, `viewer_page`: a page already signed in with that role.
- `screenshot(page, name)` saves a full-page PNG under `build/browser/` (gitignored), the
  suite's artefacts; `check_accessibility(page)` runs axe-core's WCAG 2.1 A/AA rules on the page.

Mark a module `pytestmark = pytest.mark.xdist_group("browser-<name>")` so its server lives on one
worker. Tests wait on locators and responses, never on sleeps.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Playwright, expect, sync_playwright

from tests.e2e.server import ServerProcess, running_server

CHROMIUM = Path(os.environ.get("FLAGPILOT_CHROMIUM", "/usr/bin/chromium"))
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
ARTIFACTS = Path(
    os.environ.get("FLAGPILOT_BROWSER_ARTIFACTS", Path(__file__).parents[2] / "build" / "browser")
)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 15_000
"""Generous: the machine is shared; a locator returns as soon as its condition holds."""


@dataclass
class UiServer:
    """A running server and the users created on it (login → password)."""

    process: ServerProcess
    passwords: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        """The absolute URL of `path`."""
        return self.process.url(path)

    def create_user(self, login: str, role: str = "admin") -> str:
        """Create a user through `flagpilot user create`; its password."""
        if login not in self.passwords:
            password = "pw-" + secrets.token_urlsafe(12)
            self.process.run(
                "user", "create", login, "--role", role, "--password-stdin", stdin=password + "\n"
            )
            self.passwords[login] = password
        return self.passwords[login]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver (bundled with the pip package; no browser download).

    Module-scoped, not session-scoped: the sync driver keeps an event loop running in the
    worker's thread while it is open, which other tests on the same xdist worker (ASGI test
    clients) cannot share.
    """
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Debian Chromium per test module, shared by its tests."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`)")
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    expect.set_options(timeout=TIMEOUT_MS)
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def ui_server() -> Iterator[UiServer]:
    """A `flagpilot serve` of this module on a free loopback port with a fresh preset database."""
    with running_server({"FLAGPILOT_ACCESS_LOG": "false"}, setup=[["init"]]) as process:
        yield UiServer(process)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context (cookies of its own) for one test."""
    created = browser.new_context(viewport={"width": 1400, "height": 900})
    created.set_default_timeout(TIMEOUT_MS)
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A page in the test's own context."""
    return context.new_page()


def sign_in(page: Page, server: UiServer, login: str, role: str = "admin") -> Page:
    """Sign `login` (created with `role` if new) in through the sign-in form."""
    password = server.create_user(login, role)
    page.goto(server.url("/admin/login"))
    page.get_by_label("User name").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


@pytest.fixture
def admin_page(page: Page, ui_server: UiServer) -> Page:
    """A page signed in as an admin."""
    return sign_in(page, ui_server, "ada", "admin")


@pytest.fixture
def editor_page(page: Page, ui_server: UiServer) -> Page:
    """A page signed in as an editor."""
    return sign_in(page, ui_server, "eddie", "editor")


@pytest.fixture
def viewer_page(page: Page, ui_server: UiServer) -> Page:
    """A page signed in as a viewer."""
    return sign_in(page, ui_server, "vera", "viewer")


def save_screenshot(page: Page, name: str) -> Path:
    """A full-page PNG of `page` under the artefacts folder."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """`screenshot(page, name)`: save a full-page PNG as a test artefact."""
    return save_screenshot


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page, one line each (empty: none)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    )
    return [
        f"{violation['id']}: {violation['help']} at {[node['target'] for node in violation['nodes']][:3]}"
        for violation in results.response["violations"]
    ]


@pytest.fixture
def check_accessibility() -> Callable[[Page], None]:
    """`check_accessibility(page)`: fail with the list of axe-core violations, if any."""

    def check(page: Page) -> None:
        violations = axe_violations(page)
        assert not violations, "\n".join(violations)

    return check


def state_cells(section: Locator, environment: str) -> Locator:
    """The state ("On", "Off", "Killed" or the value) of every flag of a flags-page section in
    `environment`: the badge that opens the cell under that environment's column header."""
    expect(section).to_be_visible()
    headers = [text.strip() for text in section.locator("thead th").all_text_contents()]
    column = headers.index(environment) + 1
    return section.locator(f"tbody tr > :nth-child({column}) > span")
