"""With the database unreachable, the flags page and a flag's page render from the last good
snapshot with a banner, the rollout pages from their last good read, the alerts page lists this
server's alerts, a page that never reads the database (sign-in) shows the banner too, the pages
only the database can answer are a 503 page with the same banner, and every write is refused
with the same message; when it is back, so are the pages.

The outage is real: the server's PostgreSQL database stops accepting connections and its
sessions are terminated.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import UiServer, sign_in, state_cells
from tests.databases import create_database, database_url, drop_database, libpq_url, unique_name
from tests.e2e.server import running_server

pytestmark = [pytest.mark.xdist_group("browser-database-down"), pytest.mark.postgres]

FLAGS = "/dashboard/admin/feature-flags"
BANNER = "The database is unreachable: serving the last good snapshot; changes paused."
RECOVERY_SECONDS = 60.0
ROLLOUT = "/admin/rollouts/phase2_enhanced_storage/production"


@pytest.fixture(scope="module")
def database(postgres_server_url: str) -> Iterator[tuple[str, str]]:
    """A fresh PostgreSQL database of this module: (server URL, name)."""
    name = unique_name("ui_down")
    create_database(postgres_server_url, name)
    yield postgres_server_url, name
    _allow(postgres_server_url, name, True)
    drop_database(postgres_server_url, name)


@pytest.fixture(scope="module")
def ui_server(database: tuple[str, str]) -> Iterator[UiServer]:
    """The module's server on the PostgreSQL database."""
    server_url, name = database
    environ = {"FLAGPILOT_DATABASE_URL": database_url(server_url, name), "FLAGPILOT_ACCESS_LOG": "false"}
    setup = [
        ["init"],
        ["rollout", "init-preset", "--internal-customer", "staff-1"],
        ["rollout", "start", "phase2_enhanced_storage", "--env", "production"],
    ]
    with running_server(environ, setup=setup) as process:
        yield UiServer(process)


def _allow(server_url: str, name: str, allowed: bool) -> None:
    with psycopg.connect(libpq_url(server_url), autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')  # type: ignore[arg-type]
        if not allowed:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )


def _until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + RECOVERY_SECONDS
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("the page did not recover within the bound")


def test_database_down__banner_snapshot_page_and_refused_writes(
    browser: Browser,
    page: Page,
    ui_server: UiServer,
    database: tuple[str, str],
    screenshot: Callable[[Page, str], Path],
) -> None:
    sign_in(page, ui_server, "dora", "editor")
    key = ui_server.process.issue("client-sdk")
    for environment in ("development", "staging", "production"):  # the serving snapshots are warm
        httpx.get(ui_server.url("/api/widget/config"), params={"key": key, "environment": environment})
    page.goto(ui_server.url(ROLLOUT))  # the rollout pages as last read before the outage
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.goto(ui_server.url("/admin/rollouts"))
    page.goto(ui_server.url(FLAGS))
    csrf = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}

    _allow(*database, allowed=False)
    try:
        page.reload()
        expect(page.get_by_role("alert")).to_have_text(BANNER)
        section = page.get_by_role("region", name="Phase 1")
        expect(state_cells(section, "production")).to_have_text(["On", "On", "On"])
        expect(page.get_by_role("button", name="Kill phase1_auto_restore in production")).to_have_count(0)
        screenshot(page, "database-down")
        refused = httpx.post(
            ui_server.url("/admin/flags/phase1_auto_restore/environments/development/toggle?to=off"),
            cookies=cookies,
            data={"csrf_token": csrf},
        )
        assert refused.status_code == 503
        assert "changes paused" in refused.text

        # A flag's page renders from the snapshot too, without a control
        page.goto(ui_server.url("/admin/flags/phase1_auto_restore"))
        expect(page.get_by_role("alert")).to_have_text(BANNER)
        environments = page.get_by_role("table", name="The flag in each environment")
        expect(environments.get_by_role("row", name="production")).to_contain_text("off")
        expect(page.get_by_role("button", name="Add overrides")).to_have_count(0)
        screenshot(page, "database-down-flag")

        # The alerts page still lists this server's alerts; the pages only the database can
        # answer say so with the banner instead of going blank
        alerts = page.goto(ui_server.url("/admin/alerts"))
        assert alerts is not None
        assert alerts.status == 200
        expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
        for path in ("/admin/audit", "/admin/tokens"):
            answered = page.goto(ui_server.url(path))
            assert answered is not None
            assert answered.status == 503, path
            expect(page.get_by_role("alert").first).to_have_text(BANNER)
            expect(page.get_by_role("heading", name="Database unavailable")).to_be_visible()

        # The rollout pages render from their last good read, with no control
        for path, heading in (
            (ROLLOUT, "Rollout of phase2_enhanced_storage in production"),
            ("/admin/rollouts", "Rollouts"),
        ):
            answered = page.goto(ui_server.url(path))
            assert answered is not None
            assert answered.status == 200, path
            expect(page.get_by_role("alert")).to_have_text(BANNER)
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            expect(
                page.get_by_text("before the database became unreachable; no change can be made")
            ).to_be_visible()
            expect(page.get_by_role("button")).to_have_text(["Sign out"])
        expect(page.get_by_role("row", name="phase2_enhanced_storage production active")).to_be_visible()
        page.goto(ui_server.url(ROLLOUT))
        expect(page.get_by_text("active at tier_1_internal, serving 1% of customers now")).to_be_visible()
        screenshot(page, "database-down-rollout")

        # A page that never reads the database carries the banner once the server knows
        signed_out = browser.new_context().new_page()
        try:

            def banner_on_sign_in() -> bool:
                signed_out.goto(ui_server.url("/admin/login"))
                return signed_out.get_by_role("alert").filter(has_text=BANNER).count() == 1

            _until(banner_on_sign_in)
        finally:
            signed_out.context.close()
    finally:
        _allow(*database, allowed=True)

    def recovered() -> bool:
        page.goto(ui_server.url(FLAGS))
        return page.get_by_role("button", name="Kill phase1_auto_restore in production").count() == 1

    _until(recovered)
    expect(page.get_by_text(BANNER)).to_have_count(0)
