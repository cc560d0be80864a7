"""The widget's static files: served with their types, speaking to exact origins, naming real flags."""

from __future__ import annotations

import re

from fastapi import FastAPI

from flagpilot.presets import WIDGET_FIELDS
from flagpilot.ui import STATIC_ROOT
from flagpilot.ui.static import static_router
from tests.unit.asgi_client import SyncClient


def mounted() -> SyncClient:
    app = FastAPI()
    app.include_router(static_router())
    return SyncClient(app)


WIDGET_FILES = ("flagpilot-widget.js", "flagpilot-widget-frame.js")


def test_frame_script__maps_each_document_field_to_the_presets_flag_key() -> None:
    source = (STATIC_ROOT / "flagpilot-widget-frame.js").read_text("utf-8")
    block = source[source.index("var FLAG_KEYS = {") : source.index("};", source.index("var FLAG_KEYS = {"))]
    mapped = {
        phase: dict(re.findall(r'(\w+): "(\w+)"', body))
        for phase, body in re.findall(r"(phase\d): \{([^}]*)\}", block)
    }

    assert mapped == WIDGET_FIELDS


def test_widget_scripts__never_post_a_message_to_any_origin() -> None:
    for name in WIDGET_FILES:
        source = (STATIC_ROOT / name).read_text("utf-8")
        targets = re.findall(r"\.postMessage\(([^;]*)\)", source)

        assert targets, name
        assert [t for t in targets if re.search(r"""["']\*["']""", t)] == [], name


def test_static_route__serves_the_loader_as_javascript_and_the_iframe_page_as_html() -> None:
    client = mounted()

    loader = client.get("/static/flagpilot-widget.js")
    page = client.get("/static/flagpilot-widget-frame.html")

    assert loader.status_code == 200
    assert loader.headers["content-type"].startswith("text/javascript")
    assert "window.FlagpilotWidget" in loader.text
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="flagpilot-widget-frame.js">' in page.text
