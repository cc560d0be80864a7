"""The flags page in a real browser: the checklist's Step 5 check, toggles, roles, bulk, conflicts.

One server for the module; each test signs in a fresh browser context. Flags are chosen so the
tests do not depend on one another's order: each changes its own flag or environment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import UiServer, sign_in, state_cells

pytestmark = pytest.mark.xdist_group("browser-flags")

FLAGS = "/dashboard/admin/feature-flags"


def states(page: Page, phase: str, environment: str) -> list[str]:
    """The state shown in `environment` for every flag of a phase section."""
    return state_cells(page.get_by_role("region", name=phase), environment).all_text_contents()


def test_checklist_step5__phase1_on_phases_2_and_3_off(
    viewer_page: Page, ui_server: UiServer, screenshot: Callable[[Page, str], Path]
) -> None:
    viewer_page.goto(ui_server.url(FLAGS))
    assert states(viewer_page, "Phase 1", "production") == ["On", "On", "On"]
    assert set(states(viewer_page, "Phase 2", "production")) == {"Off"}
    assert set(states(viewer_page, "Phase 3", "production")) == {"Off"}
    screenshot(viewer_page, "flags-viewer")


def test_viewer__sees_no_write_control_and_the_server_refuses_a_forged_one(
    viewer_page: Page, ui_server: UiServer
) -> None:
    viewer_page.goto(ui_server.url(FLAGS))
    for name in ("Turn on", "Turn off", "Kill", "Apply to selected"):
        expect(viewer_page.get_by_role("button", name=name)).to_have_count(0)
    csrf = viewer_page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
    cookies = {c["name"]: c["value"] for c in viewer_page.context.cookies()}
    forged = httpx.post(
        ui_server.url("/admin/flags/phase3_tab_sync/environments/development/kill"),
        cookies=cookies,
        data={"csrf_token": csrf, "reason": "viewer tries"},
    )
    assert forged.status_code == 403
    assert "a viewer cannot use the kill switch" in forged.text
    viewer_page.goto(ui_server.url("/admin/flags/phase3_tab_sync"))
    expect(viewer_page.get_by_role("button", name="Add overrides")).to_have_count(0)
    expect(viewer_page.get_by_role("button", name="Save definition")).to_have_count(0)


def test_toggle_in_production__asks_for_a_reason_and_changes_the_widget_config(
    editor_page: Page, ui_server: UiServer, screenshot: Callable[[Page, str], Path]
) -> None:
    key = ui_server.process.issue("client-sdk")

    def retry_logic() -> bool:
        response = httpx.get(
            ui_server.url("/api/widget/config"), params={"key": key, "environment": "production"}
        )
        return bool(response.json()["sessionPersistence"]["phase2"]["retryLogic"])

    assert retry_logic() is False
    editor_page.goto(ui_server.url(FLAGS))
    editor_page.get_by_role("button", name="Turn on phase2_retry_logic in production").click()
    expect(
        editor_page.get_by_role("heading", name="Turn phase2_retry_logic on in production?")
    ).to_be_visible()
    # The server refuses the confirmation without a reason: the browser cannot skip it.
    editor_page.get_by_label("Reason (required, recorded in the audit log)").evaluate(
        "e => e.required = false"
    )
    editor_page.get_by_role("button", name="Turn on in production").click()
    expect(editor_page.get_by_role("alert")).to_have_text(
        "A reason is required: it is recorded in the audit log."
    )
    assert retry_logic() is False
    screenshot(editor_page, "confirm-toggle")
    editor_page.get_by_label("Reason (required, recorded in the audit log)").fill("pilot customers asked")
    editor_page.get_by_role("button", name="Turn on in production").click()
    expect(editor_page.get_by_role("heading", name="Feature Flag Manager")).to_be_visible()
    assert states(editor_page, "Phase 2", "production")[2] == "On"
    assert retry_logic() is True
    editor_page.goto(ui_server.url("/admin/audit?flag=phase2_retry_logic"))
    row = editor_page.get_by_role("row").filter(has_text="pilot customers asked")
    expect(row).to_contain_text("user:eddie")
    expect(row).to_contain_text("environment.set_value")


def test_toggle_outside_production__is_one_click_and_keyboard_only(
    editor_page: Page, ui_server: UiServer
) -> None:
    editor_page.goto(ui_server.url(FLAGS))
    target = editor_page.get_by_role("button", name="Turn off phase1_auto_restore in development")
    for _ in range(300):  # Tab through the page until the toggle has the focus
        if target.evaluate("e => e === document.activeElement"):
            break
        editor_page.keyboard.press("Tab")
    else:
        pytest.fail("the toggle cannot be reached with the keyboard")
    outline = target.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none", "the focused toggle shows no focus ring"
    editor_page.keyboard.press("Enter")
    expect(
        editor_page.get_by_role("button", name="Turn on phase1_auto_restore in development")
    ).to_be_visible()
    assert states(editor_page, "Phase 1", "development")[0] == "Off"


def test_bulk_disable__changes_every_selected_flag_in_one_confirmed_action(
    editor_page: Page, ui_server: UiServer
) -> None:
    editor_page.goto(ui_server.url(FLAGS))
    editor_page.get_by_label("Select phase3_analytics").check()
    editor_page.get_by_label("Select phase3_performance_mode").check()
    editor_page.get_by_label("Action").select_option("disable")
    editor_page.get_by_label("in environment").select_option("development")
    editor_page.get_by_role("button", name="Apply to selected").click()
    expect(editor_page.get_by_role("heading", name="Turn off 2 flags in development?")).to_be_visible()
    expect(
        editor_page.get_by_role("listitem").filter(has_text="phase3_analytics: turn off in development")
    ).to_be_visible()
    editor_page.get_by_label("Reason (required, recorded in the audit log)").fill("incident 42")
    editor_page.get_by_role("button", name="Turn off 2 flags").click()
    expect(editor_page.get_by_role("heading", name="Feature Flag Manager")).to_be_visible()
    assert states(editor_page, "Phase 3", "development") == ["Off", "Off", "On"]
    editor_page.goto(ui_server.url("/admin/audit?action=environment.set_value&actor=user:eddie"))
    expect(editor_page.get_by_role("row").filter(has_text="incident 42")).to_have_count(2)


def test_two_editors__the_stale_save_is_refused_and_says_who_changed_what(
    browser: Browser, ui_server: UiServer, screenshot: Callable[[Page, str], Path]
) -> None:
    first = sign_in(browser.new_context().new_page(), ui_server, "fran", "editor")
    second = sign_in(browser.new_context().new_page(), ui_server, "gus", "editor")
    try:
        for page in (first, second):
            page.goto(ui_server.url(FLAGS))
        first.get_by_role("button", name="Turn on phase2_connection_monitoring in staging").click()
        expect(
            first.get_by_role("button", name="Turn off phase2_connection_monitoring in staging")
        ).to_be_visible()
        # The second editor's page still carries the version it was read at.
        second.get_by_role("button", name="Kill phase2_connection_monitoring in staging").click()
        second.get_by_label("Reason (required, recorded in the audit log)").fill("looks broken")
        second.get_by_role("button", name="Kill phase2_connection_monitoring").click()
        expect(
            second.get_by_role("heading", name="Someone changed phase2_connection_monitoring meanwhile")
        ).to_be_visible()
        latest = second.get_by_role("list", name="Latest changes").get_by_role("listitem").first
        expect(latest).to_contain_text("user:fran")
        expect(latest).to_contain_text("environment.set_value in staging")
        screenshot(second, "conflict")
        second.get_by_role("link", name="Reload and review").click()
        expect(
            second.get_by_role("button", name="Kill phase2_connection_monitoring in staging")
        ).to_be_visible()
        assert states(second, "Phase 2", "staging")[0] == "On"
    finally:
        first.context.close()
        second.context.close()


def test_hostile_strings__render_as_text(admin_page: Page, ui_server: UiServer) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">"\'&{{7*7}}'
    headers = {"Authorization": f"Bearer {ui_server.process.admin_token}"}
    created = httpx.post(
        ui_server.url("/api/admin/flags"),
        json={
            "key": "hostile_flag",
            "type": "json",
            "defaultValue": {"html": hostile},
            "description": hostile,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    dialogs: list[str] = []
    admin_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    admin_page.goto(ui_server.url("/admin/flags/hostile_flag"))
    admin_page.get_by_label("Ids, one per line (paste a list)").fill(f"cust-1\n{hostile[:60]}")
    admin_page.get_by_label("Value (JSON)").fill('"<b>bold</b>"')
    admin_page.get_by_label("Reason for these overrides").fill(hostile)
    admin_page.get_by_role("button", name="Add overrides").click()
    expect(admin_page.get_by_role("cell", name=hostile[:60], exact=True)).to_be_visible()
    for path in ("/admin/flags/hostile_flag", FLAGS + "?q=hostile", "/admin/audit?flag=hostile_flag"):
        admin_page.goto(ui_server.url(path))
        expect(admin_page.get_by_text(hostile, exact=False).first).to_be_visible()
        assert admin_page.locator("img[src=x], b").count() == 0
    assert dialogs == []
