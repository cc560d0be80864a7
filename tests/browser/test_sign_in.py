"""Signing in and out of the admin UI in a real browser, and what a stranger gets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import UiServer, sign_in

pytestmark = pytest.mark.xdist_group("browser-sign-in")

FLAGS = "/dashboard/admin/feature-flags"


def test_a_stranger_is_sent_to_sign_in_and_back(page: Page, ui_server: UiServer) -> None:
    password = ui_server.create_user("sam", "editor")
    page.goto(ui_server.url(FLAGS + "?phase=1"))
    expect(page.get_by_role("heading", name="Sign in to flagpilot")).to_be_visible()
    page.get_by_label("User name").fill("sam")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Feature Flag Manager")).to_be_visible()
    assert page.url.endswith(FLAGS + "?phase=1")


def test_a_wrong_password_is_refused_with_a_message(page: Page, ui_server: UiServer) -> None:
    ui_server.create_user("wendy", "viewer")
    page.goto(ui_server.url("/admin/login"))
    page.get_by_label("User name").fill("wendy")
    page.get_by_label("Password").fill("not her password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("wrong user name or password")


def test_sign_out_ends_the_session_on_the_server(
    page: Page, ui_server: UiServer, screenshot: Callable[[Page, str], Path]
) -> None:
    sign_in(page, ui_server, "olga", "admin")
    cookie = next(c for c in page.context.cookies() if c["name"] == "flagpilot_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    screenshot(page, "flags-page")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to flagpilot")).to_be_visible()
    # The old cookie is worthless now, even replayed by hand.
    replay = httpx.get(ui_server.url(FLAGS), cookies={"flagpilot_session": cookie["value"]})
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/admin/login")


def test_pages_carry_the_security_headers(ui_server: UiServer) -> None:
    response = httpx.get(ui_server.url("/admin/login"))
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_post_without_the_csrf_token_is_refused(page: Page, ui_server: UiServer) -> None:
    sign_in(page, ui_server, "carl", "admin")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    forged = httpx.post(
        ui_server.url("/admin/flags/phase1_session_persistence/environments/development/toggle?to=off"),
        cookies=cookies,
        data={"reason": "forged"},
    )
    assert forged.status_code == 403
    assert "did not come from this site" in forged.text
