"""The checklist's post-deployment verification, run in Chromium on the demo site.

    Phase 1 Features (Should Work): open chat widget on test site, send message, refresh page,
      verify conversation restored, check localStorage for `chat_conversation_id`
    Phase 2 Features (Should Not Work): enhanced storage, connection monitoring not active
    Phase 3 Features (Should Not Work): tab sync, performance mode not active

and what a rollout changes about them: a whitelisted customer gets Phase 2, an override can
turn auto-restore off, a rollback turns a behaviour off at the next configuration fetch, and a
flagpilot that is down leaves the widget on its built-in defaults and the host page unharmed.
One `flagpilot demo` process serves every test here; each test has its own browser profile.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Frame, Route, expect

from tests.browser.demo import Demo, running_demo
from tests.browser.widget import frame, host_storage, load, open_chat, ready, send, state, transcript
from tests.e2e.server import free_port

pytestmark = pytest.mark.xdist_group("browser_widget_checklist")

PHASE1 = ("parentStorage", "crossDomainMessaging", "autoRestore")
PHASE2 = ("enhancedStorage", "connectionMonitoring", "retryLogic")
PHASE3 = ("tabSync", "performanceMode", "analytics")
ID_KEY = "chat_conversation_id"
TRANSCRIPT_KEY = "chat_conversation_transcript"
PILOT = "pilot-customer"  # on the demo's Phase 2 whitelists
BETA = "beta-customer"  # on its Phase 2 and Phase 3 whitelists
EVENTUALLY_SECONDS = 15.0
# Long enough for the widget to have done what it would do; an absence is all it can show.
GRACE_MS = 700


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    """The demo site and its flagpilot, started with one command."""
    with running_demo() as running:
        yield running


def eventually(probe: Callable[[], Any]) -> Any:
    """`probe()`'s first truthy answer, polled for up to EVENTUALLY_SECONDS."""
    deadline = time.monotonic() + EVENTUALLY_SECONDS
    while True:
        answer = probe()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def flaky_sends(context: BrowserContext, site_url: str, widget_origin: str) -> list[str]:
    """Make the first message send answer 503; the list of send attempts seen so far."""
    attempts: list[str] = []

    def handle(route: Route) -> None:
        attempts.append(route.request.url)
        if len(attempts) == 1:
            route.fulfill(status=503, body="busy", headers={"Access-Control-Allow-Origin": widget_origin})
        else:
            route.continue_()

    context.route(f"{site_url}/chat/conversations/*/messages*", handle)
    return attempts


def features_of(summary: dict[str, Any], names: tuple[str, ...]) -> dict[str, bool]:
    return {name: summary["features"][name] for name in names}


def type_message(chat: Frame, text: str) -> None:
    chat.locator("#message").fill(text)
    chat.locator("#message").press("Enter")


def test_phase1__send_then_refresh__restores_the_conversation_from_the_host_pages_local_storage(
    context: BrowserContext, demo: Demo
) -> None:
    # Given a visitor with the default flags on the test site
    page = context.new_page()
    config_statuses: list[int] = []
    page.on("response", lambda r: config_statuses.append(r.status) if "/api/widget/config" in r.url else None)
    summary = load(page, demo.page("visitor-phase1"))
    assert summary["configSource"] == "server"
    assert features_of(summary, PHASE1) == dict.fromkeys(PHASE1, True)

    # When they open the chat widget, send a message and refresh the page
    send(open_chat(page), "Where is my order?")
    conversation_id = host_storage(page, ID_KEY)
    page.reload()
    summary = ready(page)
    chat = open_chat(page)

    # Then the conversation is restored, from the id in the host page's localStorage
    assert summary["restored"] is True
    assert transcript(chat) == ["Where is my order?", "You said: Where is my order?"]
    assert conversation_id is not None
    assert conversation_id.startswith("conv-")
    assert host_storage(page, ID_KEY) == conversation_id
    assert chat.evaluate("localStorage.getItem('chat_conversation_id')") is None  # not the iframe's
    stored = demo.chat(f"/conversations/{conversation_id}", customerId="visitor-phase1")
    assert [m["text"] for m in stored["messages"]] == ["Where is my order?", "You said: Where is my order?"]
    # and the reload revalidated the configuration with its ETag
    assert config_statuses == [200, 304]


def test_phase2_and_phase3__by_default__are_not_active(context: BrowserContext, demo: Demo) -> None:
    # Given a visitor on no whitelist, with a second tab open on the same site
    page, other_tab = context.new_page(), context.new_page()
    summary = load(page, demo.page("visitor-defaults"))
    load(other_tab, demo.page("visitor-defaults"))
    assert features_of(summary, PHASE2 + PHASE3) == dict.fromkeys(PHASE2 + PHASE3, False)
    attempts = flaky_sends(context, demo.site_url, demo.flagpilot_url)
    chat, other_chat = open_chat(page), open_chat(other_tab)

    # When they send a message that fails once, then one that goes through
    type_message(chat, "first try")
    expect(chat.locator("li[data-status=failed]")).to_have_text("first try")
    send(chat, "second try")
    other_tab.wait_for_timeout(GRACE_MS)

    # Then no Phase 2 behaviour: no compressed transcript, no connection indicator, no retry
    assert host_storage(page, TRANSCRIPT_KEY) is None
    assert chat.locator(".connection").count() == 0
    assert len(attempts) == 2  # one for each message: the failed one was not resent
    # and no Phase 3 behaviour: the other tab did not follow, no performance mode, no analytics
    assert transcript(other_chat) == []
    assert chat.evaluate("document.documentElement.classList.contains('performance-mode')") is False
    assert "visitor-defaults" not in demo.chat("/analytics")
    assert state(chat)["analytics"]["messagesSent"] == 0


def test_phase2__for_a_whitelisted_customer__is_active_and_reports_its_outcomes(
    context: BrowserContext, demo: Demo
) -> None:
    # Given the pilot customer, on the Phase 2 rollouts' whitelist
    page = context.new_page()
    summary = load(page, demo.page(PILOT))
    assert features_of(summary, PHASE2) == dict.fromkeys(PHASE2, True)
    assert features_of(summary, PHASE3) == dict.fromkeys(PHASE3, False)
    attempts = flaky_sends(context, demo.site_url, demo.flagpilot_url)
    chat = open_chat(page)

    # When a send fails once
    send(chat, "Is the tent waterproof?")

    # Then it was resent with backoff (retry logic)
    assert len(attempts) == 2

    # and the transcript is kept compressed beside the id in the host page (enhanced storage);
    # it is compressed and stored after the echo is shown, so it is waited for
    def stored_with_echo() -> tuple[dict[str, Any], str] | None:
        packed: dict[str, Any] = json.loads(host_storage(page, TRANSCRIPT_KEY) or "{}")
        if packed.get("codec") != "deflate-raw":
            return None
        plain: str = chat.evaluate(
            """data => new Response(new Blob([Uint8Array.from(atob(data), c => c.charCodeAt(0))]).stream()
                     .pipeThrough(new DecompressionStream('deflate-raw'))).text()""",
            packed["data"],
        )
        return (packed, plain) if "You said: Is the tent waterproof?" in plain else None

    stored = eventually(stored_with_echo)
    assert stored is not None, host_storage(page, TRANSCRIPT_KEY)
    packed, plain = stored
    assert "waterproof" not in packed["data"]
    assert json.loads(plain)["id"] == host_storage(page, ID_KEY)
    # and the connection indicator follows the network (connection monitoring)
    indicator = chat.locator(".connection")
    expect(indicator).to_have_text("Online")
    context.set_offline(True)
    expect(indicator).to_have_text("Offline")
    context.set_offline(False)
    expect(indicator).to_have_text("Online")

    # and each exercised Phase 2 flag's rollout received success events from the widget
    def successes(feature: str) -> int:
        stats = demo.admin.get(f"/api/admin/rollout/{feature}").json()["statistics"]
        total: int = stats["tierTotal"]["treatment"]["successes"]
        return total

    for feature in ("phase2_enhanced_storage", "phase2_connection_monitoring", "phase2_retry_logic"):
        assert eventually(lambda feature=feature: successes(feature) > 0), feature


def test_phase3__for_a_whitelisted_customer__syncs_tabs_renders_lean_and_counts(
    context: BrowserContext, demo: Demo
) -> None:
    # Given the beta customer (Phase 2 and 3 whitelists) with the site open in two tabs
    page, other_tab = context.new_page(), context.new_page()
    summary = load(page, demo.page(BETA))
    load(other_tab, demo.page(BETA))
    assert features_of(summary, PHASE3) == dict.fromkeys(PHASE3, True)
    chat, other_chat = open_chat(page), open_chat(other_tab)

    # When they send a message in one tab
    send(chat, "Two tabs, one chat")

    # Then the other tab shows it too (tab sync)
    expect(other_chat.locator("li[data-author=agent]")).to_have_text("You said: Two tabs, one chat")
    # and performance mode is on, and the analytics reached the chat service
    assert chat.evaluate("document.documentElement.classList.contains('performance-mode')") is True
    counted = eventually(lambda: demo.chat("/analytics").get(BETA, {}).get("messagesSent"))
    assert counted == 1


def test_auto_restore_overridden_off__a_refresh_starts_a_new_conversation(
    context: BrowserContext, demo: Demo
) -> None:
    # Given phase1_auto_restore overridden off for one customer
    customer = "visitor-no-restore"
    override = {"featureName": "phase1_auto_restore", "customerId": customer, "enabled": False}
    assert demo.admin.post("/api/admin/feature-flags", json=override).status_code == 200
    page = context.new_page()
    summary = load(page, demo.page(customer))
    assert summary["features"]["autoRestore"] is False
    send(open_chat(page), "Remember me?")
    first_id = host_storage(page, ID_KEY)

    # When they refresh the page
    page.reload()
    summary = ready(page)
    chat = open_chat(page)

    # Then the old conversation is not restored; the next message starts a new one
    assert summary["restored"] is False
    assert transcript(chat) == []
    assert host_storage(page, ID_KEY) is None
    send(chat, "Hello again")
    assert host_storage(page, ID_KEY) not in (None, first_id)


def test_config_unreachable_at_load__the_widget_uses_its_defaults_and_the_host_page_works(
    context: BrowserContext, demo: Demo
) -> None:
    # Given a host page whose flagpilot is down (nothing listens on its port)
    page = context.new_page()
    console: list[str] = []
    errors: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.on("weberror", lambda error: errors.append(str(error.error)))

    # When the page loads
    summary = load(page, demo.page("visitor-offline", api=f"http://127.0.0.1:{free_port()}"))

    # Then the widget runs on its built-in defaults (Phase 1 on) and says so in the console
    assert summary["configSource"] == "defaults"
    assert features_of(summary, PHASE1) == dict.fromkeys(PHASE1, True)
    assert features_of(summary, PHASE2 + PHASE3) == dict.fromkeys(PHASE2 + PHASE3, False)
    assert any("using the built-in defaults (Phase 1 on)" in text for text in console), console
    # and Phase 1 still works
    send(open_chat(page), "Anyone there?")
    assert host_storage(page, ID_KEY) is not None
    # and the host page itself is unaffected
    page.get_by_role("button", name="Host page button").click()
    expect(page.locator("#host-clicks")).to_have_text("clicked 1 time")
    assert errors == []


def test_messages_from_other_windows__are_ignored_by_both_halves(context: BrowserContext, demo: Demo) -> None:
    # Given the widget on a page that also holds a frame of another (opaque) origin
    page = context.new_page()
    load(page, demo.page("visitor-origins"))
    chat = open_chat(page)
    send(chat, "genuine")
    genuine_id = host_storage(page, ID_KEY)

    # When that frame and the page itself send forged bridge messages
    page.evaluate(
        """() => {
            const forged = {channel: 'flagpilot-widget', type: 'storage-set', id: 'x',
                            key: 'chat_conversation_id', value: 'forged'};
            window.postMessage(forged, '*');
            const intruder = document.createElement('iframe');
            intruder.sandbox = 'allow-scripts';
            intruder.srcdoc = `<script>
                parent.postMessage(${JSON.stringify(forged)}, '*');
                parent.frames[0].postMessage({channel: 'flagpilot-widget', type: 'opened'}, '*');
            </script>`;
            document.body.appendChild(intruder);
        }"""
    )
    send(chat, "still genuine")  # a full round trip through both halves after the forgeries

    # Then neither half acted on them
    assert host_storage(page, ID_KEY) == genuine_id
    assert state(chat)["analytics"]["opened"] == 0


def test_rollback__turns_a_phase2_behaviour_off_at_the_next_config_fetch(
    context: BrowserContext, demo: Demo
) -> None:
    # Given the pilot customer with connection monitoring and enhanced storage on
    page = context.new_page()
    load(page, demo.page(PILOT))
    chat = open_chat(page)
    send(chat, "Before the rollback")
    expect(chat.locator(".connection")).to_have_text("Online")
    assert eventually(lambda: host_storage(page, TRANSCRIPT_KEY) is not None)

    # When both rollouts are rolled back through the API, and the page is loaded again
    rolled_back = ("phase2_connection_monitoring", "phase2_enhanced_storage")
    try:
        for feature in rolled_back:
            answer = demo.admin.post(
                "/api/admin/rollout/rollback", json={"featureName": feature, "reason": "browser test"}
            )
            assert answer.status_code == 200, answer.text
        page.reload()
        summary = ready(page)
        chat = frame(page)

        # Then the behaviours are gone, the compressed copy is removed, Phase 1 still restores
        assert summary["features"]["connectionMonitoring"] is False
        assert summary["features"]["enhancedStorage"] is False
        assert chat.locator(".connection").count() == 0
        assert host_storage(page, TRANSCRIPT_KEY) is None
        assert summary["restored"] is True
        assert transcript(chat)[0] == "Before the rollback"
    finally:
        for feature in rolled_back:  # the demo's pilot, as it was, for whoever runs next
            demo.admin.post("/api/admin/rollout/restart", json={"featureName": feature, "reason": "test"})
            demo.admin.post("/api/admin/rollout/start", json={"featureName": feature, "reason": "test"})
