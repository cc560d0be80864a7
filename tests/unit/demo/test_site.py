"""The demo host site: its page embeds the widget as configured; its chat service refuses bad input."""

from __future__ import annotations

import pytest

from flagpilot.demo import ConversationStore, SiteConfig, Visitor, create_site
from tests.unit.asgi_client import SyncClient

WIDGET_ORIGIN = "http://127.0.0.1:9001"


@pytest.fixture
def client() -> SyncClient:
    config = SiteConfig("http://127.0.0.1:9000", WIDGET_ORIGIN, "ck-secret", [Visitor("pilot", "Pilot")])
    return SyncClient(create_site(config, ConversationStore()))


def test_page__embeds_the_widget_for_the_chosen_customer_with_the_key(client: SyncClient) -> None:
    page = client.get("/", params={"customer": "pilot"}).text

    assert f'src="{WIDGET_ORIGIN}/static/flagpilot-widget.js"' in page
    assert 'data-customer-id="pilot"' in page
    assert 'data-key="ck-secret"' in page
    assert 'data-chat-url="http://127.0.0.1:9000/chat"' in page


def test_page__without_flags_has_no_key_and_escapes_a_hostile_customer_id(client: SyncClient) -> None:
    page = client.get("/", params={"customer": '"><script>x()</script>', "flags": "off"}).text

    assert "data-key" not in page
    assert "<script>x()" not in page
    assert "&quot;&gt;&lt;script&gt;" in page


def test_conversation__echoes_and_is_readable_only_by_its_customer(client: SyncClient) -> None:
    created = client.post("/chat/conversations", json={"customerId": "pilot"}).json()
    path = f"/chat/conversations/{created['id']}"
    said = client.post(f"{path}/messages?customerId=pilot", json={"text": " hi "})

    assert said.status_code == 201
    assert [m["text"] for m in said.json()["messages"]] == ["hi", "You said: hi"]
    assert len(client.get(f"/chat/conversations/{created['id']}?customerId=pilot").json()["messages"]) == 2
    assert client.get(f"/chat/conversations/{created['id']}?customerId=other").status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/chat/conversations", b"not json"),
        ("/chat/conversations", b"[1]"),
        ("/chat/conversations", b'{"customerId": 7}'),
        ("/chat/analytics", b'{"counts": {"opened": -1}}'),
        ("/chat/analytics", b'{"counts": {"unknown": 1}}'),
        ("/chat/analytics", b'{"counts": {"opened": true}}'),
    ],
)
def test_bad_bodies__are_a_400_problem(client: SyncClient, path: str, body: bytes) -> None:
    answer = client.post(path, content=body, headers={"Content-Type": "application/json"})

    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001, None, 5])
def test_bad_message_text__is_a_400_and_adds_nothing(client: SyncClient, text: object) -> None:
    created = client.post("/chat/conversations", json={}).json()

    answer = client.post(f"/chat/conversations/{created['id']}/messages", json={"text": text})

    assert answer.status_code == 400
    assert client.get(f"/chat/conversations/{created['id']}").json()["messages"] == []


def test_chat_service__allows_the_widget_origin_only(client: SyncClient) -> None:
    allowed = client.options(
        "/chat/conversations",
        headers={"Origin": WIDGET_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    refused = client.options(
        "/chat/conversations",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )

    assert allowed.headers["access-control-allow-origin"] == WIDGET_ORIGIN
    assert "access-control-allow-origin" not in refused.headers
