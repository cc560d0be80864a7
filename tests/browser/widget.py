"""Driving the chat widget on the demo host page, as a visitor would."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Frame, Page, expect

FRAME = "#flagpilot-widget iframe"


def load(page: Page, url: str) -> dict[str, Any]:
    """Open `url` and wait for the widget; the summary it reports to the host page."""
    page.goto(url)
    return ready(page)


def ready(page: Page) -> dict[str, Any]:
    """The widget's summary once it is interactive (`window.FlagpilotWidget.ready`)."""
    summary: dict[str, Any] = page.evaluate("window.FlagpilotWidget.ready")
    return summary


def open_chat(page: Page) -> Frame:
    """Open the chat panel if it is closed; the widget's iframe."""
    launcher = page.locator("#flagpilot-widget > button")
    if launcher.get_attribute("aria-expanded") != "true":
        launcher.click()
    return frame(page)


def frame(page: Page) -> Frame:
    """The widget's iframe, once its chat is ready."""
    handle = page.locator(FRAME).element_handle()
    assert handle is not None
    content = handle.content_frame()
    assert content is not None
    expect(content.locator("#chat")).to_have_attribute("data-state", "ready")
    return content


def send(chat: Frame, text: str) -> None:
    """Type `text`, send it, and wait for the service's echo."""
    chat.locator("#message").fill(text)
    chat.locator("#message").press("Enter")
    expect(chat.locator("li[data-author=agent]", has_text=f"You said: {text}")).to_be_visible()


def transcript(chat: Frame) -> list[str]:
    """The texts shown in the conversation, oldest first."""
    return chat.locator("li[data-author]").all_inner_texts()


def host_storage(page: Page, key: str) -> str | None:
    """`localStorage[key]` of the host page itself."""
    value: str | None = page.evaluate("key => window.localStorage.getItem(key)", key)
    return value


def state(chat: Frame) -> dict[str, Any]:
    """What the widget decided (`window.flagpilotChat` inside the iframe)."""
    found: dict[str, Any] = chat.evaluate("JSON.parse(JSON.stringify(window.flagpilotChat))")
    return found
