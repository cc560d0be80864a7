"""The widget's static files: served revalidated, speaking to exact origins, naming real flags."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.routing import Mount

from flagpilot.presets import WIDGET_FIELDS
from flagpilot.ui import STATIC_DIRECTORY, STATIC_PATH, static_files
from tests.unit.asgi_client import SyncClient


def mounted() -> SyncClient:
    return SyncClient(Starlette(routes=[Mount(STATIC_PATH, static_files())]))


WIDGET_FILES = ("flagpilot-widget.js", "flagpilot-widget-frame.js")


def test_frame_script__maps_each_document_field_to_the_presets_flag_key() -> None:
    source = (STATIC_DIRECTORY / "flagpilot-widget-frame.js").read_text("utf-8")
    block = source[source.index("var FLAG_KEYS = {") : source.index("};", source.index("var FLAG_KEYS = {"))]
    mapped = {
        phase: dict(re.findall(r'(\w+): "(\w+)"', body))
        for phase, body in re.findall(r"(phase\d): \{([^}]*)\}", block)
    }

    assert mapped == WIDGET_FIELDS


def test_widget_scripts__never_post_a_message_to_any_origin() -> None:
    for name in WIDGET_FILES:
        source = (STATIC_DIRECTORY / name).read_text("utf-8")
        targets = re.findall(r"\.postMessage\(([^;]*)\)", source)

        assert targets, name
        assert [t for t in targets if re.search(r"""["']\*["']""", t)] == [], name


def test_static_mount__serves_the_widget_revalidated_and_answers_304_when_unchanged() -> None:
    client = mounted()

    first = client.get("/static/flagpilot-widget.js")
    again = client.get("/static/flagpilot-widget.js", headers={"If-None-Match": first.headers["etag"]})

    assert first.status_code == 200
    assert first.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert first.headers["cache-control"] == "no-cache"
    assert "window.FlagpilotWidget" in first.text
    assert again.status_code == 304


def test_static_mount__an_unknown_or_escaping_path_is_a_404() -> None:
    client = mounted()

    assert client.get("/static/nope.js").status_code == 404
    assert client.get("/static/../__init__.py").status_code == 404
