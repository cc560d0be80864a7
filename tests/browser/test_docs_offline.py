"""/docs works on an air-gapped install: every request to anything but the server itself is
blocked, and the page still renders the API's operations from the package's files."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route

from tests.e2e.server import ServerProcess, running_server


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with running_server({}, setup=[["init"]]) as process:
        yield process


def offline(page: Page) -> list[str]:
    """Block every request not addressed to 127.0.0.1; the blocked URLs, as they happen."""
    blocked: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    return blocked


def test_docs__offline__render_the_operation_list(page: Page, server: ServerProcess) -> None:
    # Given a browser that can reach nothing but the server
    blocked = offline(page)

    # When the Swagger page loads
    page.goto(server.url("/docs"))
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)

    # Then the operations are listed, and nothing outside was even asked for
    paths = page.locator(".opblock-summary-path").all_text_contents()
    assert any("/api/widget/config" in path for path in paths), paths
    assert len(paths) > 20
    assert blocked == []
