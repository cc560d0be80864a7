"""Rollouts in a real browser: create, start, the dwell gate, a forced advance, a rollback; and
axe-core on every page of the UI, with a screenshot of each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import UiServer, sign_in

pytestmark = pytest.mark.xdist_group("browser-rollouts")

REASON_LABEL = "Reason (required, recorded in the audit log)"


def create_rollout(page: Page, server: UiServer, flag: str, environment: str) -> None:
    """Create a rollout through the form, with a whitelist and a 48-hour dwell."""
    page.goto(server.url("/admin/rollouts"))
    form = page.get_by_role("region", name="Create a rollout")
    form.get_by_label("Flag", exact=True).select_option(flag)
    form.get_by_label("Environment", exact=True).select_option(environment)
    form.get_by_label("Whitelisted customers (one per line)").fill("staff-1\nstaff-2")
    form.get_by_label("Rollback threshold, error rate in %").fill("2.5")
    form.get_by_label("Minimum dwell per tier in hours").fill("48")
    form.get_by_role("button", name="Create rollout").click()
    expect(page.get_by_role("heading", name=f"Rollout of {flag} in {environment}")).to_be_visible()


def test_rollout__start_gate_refusal_forced_advance_and_rollback_in_the_audit_log(
    editor_page: Page, ui_server: UiServer, screenshot: Callable[[Page, str], Path]
) -> None:
    page = editor_page
    create_rollout(page, ui_server, "phase3_tab_sync", "staging")
    expect(page.get_by_text("planned at tier_0_disabled")).to_be_visible()
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("status")).to_have_text("Done: start.")
    expect(page.get_by_role("list", name="Tiers").locator('[aria-current="step"]')).to_contain_text(
        "tier_1_internal"
    )

    page.get_by_role("button", name="Advance", exact=True).click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("Advance refused by the min_dwell gate")
    expect(refusal).to_contain_text("which opens at 20")
    screenshot(page, "rollout-refused")

    page.get_by_role("button", name="Force advance…").click()
    page.get_by_label(REASON_LABEL).fill("pilot approved by the product owner")
    page.get_by_role("button", name="Force advance").click()
    expect(page.get_by_role("list", name="Tiers").locator('[aria-current="step"]')).to_contain_text("10%")

    page.get_by_role("button", name="Rollback").click()
    expect(page.get_by_role("heading", name="Roll back phase3_tab_sync in staging?")).to_be_visible()
    page.get_by_label(REASON_LABEL).fill("error spike in checkout")
    page.get_by_role("button", name="Roll back").click()
    expect(page.get_by_text("rolled_back at tier_0_disabled")).to_be_visible()
    events = page.get_by_role("table", name="The rollout's events, newest first")
    expect(events.get_by_role("row").nth(1)).to_contain_text("error spike in checkout")

    page.goto(ui_server.url("/admin/audit?action=rollout.rollback"))
    row = page.get_by_role("row").filter(has_text="error spike in checkout")
    expect(row).to_contain_text("user:eddie")
    expect(row).to_contain_text("phase3_tab_sync")
    page.goto(ui_server.url("/admin/audit?action=rollout.advance"))
    expect(page.get_by_role("row").filter(has_text="pilot approved by the product owner")).to_contain_text(
        "skippedGates"
    )


def test_bad_rollout_settings__are_named_next_to_their_field(editor_page: Page, ui_server: UiServer) -> None:
    editor_page.goto(ui_server.url("/admin/rollouts"))
    form = editor_page.get_by_role("region", name="Create a rollout")
    form.get_by_label("Flag", exact=True).select_option("phase2_retry_logic")
    form.get_by_label("Environment", exact=True).select_option("development")
    form.get_by_label("Rollback threshold, error rate in %").fill("250")
    form.get_by_role("button", name="Create rollout").click()
    field = editor_page.get_by_label("Rollback threshold, error rate in %")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(editor_page.get_by_role("alert")).to_contain_text("must be a number from 0 to 1")


def test_preset_rollouts__six_in_one_action(admin_page: Page, ui_server: UiServer) -> None:
    admin_page.goto(ui_server.url("/admin/rollouts"))
    admin_page.get_by_label("Internal customers, whitelisted (one per line)").fill("staff-1")
    admin_page.get_by_role("button", name="Create the six preset rollouts").click()
    rows = (
        admin_page.get_by_role("table", name="Every rollout").get_by_role("row").filter(has_text="production")
    )
    expect(rows).to_have_count(6)


PAGES = {
    "flags": "/dashboard/admin/feature-flags",
    "flag": "/admin/flags/phase2_enhanced_storage",
    "explain": "/admin/flags/phase2_enhanced_storage/explain?environment=production&customerId=c-1",
    "rollouts": "/admin/rollouts",
    "rollout": "/admin/rollouts/phase2_enhanced_storage/production",
    "audit": "/admin/audit?verify=1",
    "alerts": "/admin/alerts",
    "tokens": "/admin/tokens",
    "not-found": "/admin/flags/no_such_flag",
}


@pytest.fixture(scope="module")
def admin_session(browser: Browser, ui_server: UiServer) -> Iterator[Page]:
    """One signed-in admin page for the page-by-page checks, with the preset rollouts created."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = sign_in(context.new_page(), ui_server, "ada", "admin")
    page.goto(ui_server.url("/admin/rollouts"))
    if page.get_by_role("link", name="phase2_enhanced_storage").count() == 0:
        page.get_by_role("button", name="Create the six preset rollouts").click()
        expect(page.get_by_role("link", name="phase2_enhanced_storage")).to_be_visible()
    yield page
    context.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_axe__no_wcag_violation(
    admin_session: Page,
    ui_server: UiServer,
    name: str,
    check_accessibility: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    admin_session.goto(ui_server.url(PAGES[name]))
    expect(admin_session.get_by_role("main")).to_be_visible()
    screenshot(admin_session, f"page-{name}")
    check_accessibility(admin_session)


def test_axe__sign_in_and_confirmation_pages(
    admin_page: Page, ui_server: UiServer, check_accessibility: Callable[[Page], None]
) -> None:
    admin_page.goto(ui_server.url("/dashboard/admin/feature-flags"))
    admin_page.get_by_role("button", name="Kill phase1_parent_storage in production").click()
    expect(admin_page.get_by_label(REASON_LABEL)).to_be_visible()
    check_accessibility(admin_page)
    admin_page.get_by_role("button", name="Sign out").click()
    expect(admin_page.get_by_role("heading", name="Sign in to flagpilot")).to_be_visible()
    check_accessibility(admin_page)
