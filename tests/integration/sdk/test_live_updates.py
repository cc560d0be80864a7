"""Live and resumable: the change stream, reconnection, heartbeats, polling, and what a server
may send that a client must survive."""

from __future__ import annotations

from collections.abc import Callable

from flagpilot.core import ErrorCode
from flagpilot.sdk import Change, Client, Options, Source, State
from tests.integration.sdk.conftest import FAST, eventually
from tests.integration.sdk.fake_server import FakeServer, flag

STREAM, SNAPSHOT = "/api/sdk/stream", "/api/sdk/snapshot"
CUSTOMER = {"customerId": "c-1"}


def ready(client: Client) -> Client:
    assert client.wait_ready(10), client.status
    return client


def test_stream__a_published_change_is_served_and_heard_with_its_flag_keys(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    changes: list[Change] = []
    client = ready(make_client())
    client.add_listener(changes.append)
    server.wait_for(STREAM)

    server.publish({"new_checkout": flag(False), "greeting": flag("hello")})

    eventually(lambda: client.get_boolean("new_checkout", CUSTOMER, True) is False, what="the change")
    assert client.get_string("greeting", CUSTOMER) == "hello"
    assert client.status.version == 2
    eventually(lambda: any(c.changed_flags for c in changes), what="the change being heard")
    assert {key for c in changes for key in c.changed_flags or ()} == {"new_checkout", "greeting"}


def test_stream__dropped__turns_stale_at_once_then_error_and_resumes_with_last_event_id(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    states: list[State] = []
    client = ready(make_client())
    client.add_listener(lambda change: states.append(change.status.state))
    server.wait_for(STREAM)

    # When the server goes away
    server.snapshot_status = 503
    server.drop_streams()

    # Then the client says at once its data may be stale, and after the grace period that it is in error
    eventually(lambda: State.STALE in states, what="STALE")
    eventually(lambda: State.ERROR in states, what="ERROR after the grace")
    assert client.status.state is State.ERROR
    assert client.get_boolean("new_checkout", CUSTOMER) is True  # still the last good data

    # When it comes back, the client resumes where it was
    server.snapshot_status = None
    eventually(lambda: client.status.state is State.READY, what="READY again")
    streams = server.wait_for(STREAM, 2)
    assert streams[-1].headers.get("last-event-id") == "1"
    assert states.index(State.STALE) < states.index(State.ERROR) < len(states) - 1


def test_stream__silent_past_the_heartbeat_timeout__is_reopened(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    server.silent_streams = True
    make_client(options=Options(**{**_fields(FAST), "heartbeat_timeout": 0.3}))

    server.wait_for(STREAM, 3)  # each silent stream is given up on and opened again


def test_stream__unavailable__falls_back_to_polling_with_the_etag(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    # Given a server (or a proxy) without the stream
    server.stream_status = 404
    client = ready(make_client())

    # When a change is published
    server.publish({"new_checkout": flag(False)})

    # Then polling finds it, and polls revalidate with If-None-Match
    eventually(
        lambda: client.get_boolean("new_checkout", CUSTOMER, True) is False, what="the change by polling"
    )
    polls = server.wait_for(SNAPSHOT, 3)
    assert polls[-1].headers.get("if-none-match") == '"2"'
    assert client.status.state is State.READY
    assert server.count(STREAM) == 1


def test_stream__not_an_event_stream__falls_back_to_polling(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    server.stream_content_type = "text/html"
    client = ready(make_client())

    server.publish({"new_checkout": flag(False)})

    eventually(
        lambda: client.get_boolean("new_checkout", CUSTOMER, True) is False, what="the change by polling"
    )


def test_refused_key__is_fatal_at_once_and_never_retried(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    client = make_client(key="fp_server-sdk_revoked")

    eventually(lambda: client.status.state is State.FATAL, what="FATAL")
    assert client.wait_ready(1) is False
    asked = server.count(SNAPSHOT)
    server.wait_for(SNAPSHOT, 1)
    assert asked == 1
    assert server.count(SNAPSHOT) == 1  # still one request after FATAL: no retry storm
    assert client.get_details("new_checkout", CUSTOMER, False).error_code is ErrorCode.GENERAL


def test_server_errors__are_retried_until_it_recovers(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    server.snapshot_status = 500
    client = make_client()
    server.wait_for(SNAPSHOT, 3)  # retried with backoff

    server.snapshot_status = None

    eventually(lambda: client.status.state is State.READY, what="recovery")


def test_malformed_snapshot__is_refused_whole_and_the_last_good_one_kept(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    client = ready(make_client())
    server.wait_for(STREAM)

    # When the server announces a version whose document is broken
    server.snapshot_body = (
        b'{"formatVersion": 1, "environment": "production", "version": 2, "flags": {"x": 5}}'
    )
    server.publish({"new_checkout": flag(False)})

    # Then the client keeps serving version 1 and says what went wrong
    eventually(lambda: server.count(SNAPSHOT) >= 2, what="the new snapshot being fetched")
    eventually(lambda: "unreadable" in (client.status.message or ""), what="the problem being reported")
    assert client.status.version == 1
    assert client.get_boolean("new_checkout", CUSTOMER) is True


def test_malformed_snapshot__with_no_good_one__answers_parse_error(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    server.snapshot_body = b"<html>not json</html>"
    client = make_client()

    eventually(
        lambda: client.get_details("new_checkout", CUSTOMER, False).error_code is ErrorCode.PARSE_ERROR
    )
    assert client.status.state is not State.READY


def test_huge_snapshot__is_refused_without_reading_it_whole(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    server.snapshot_body = b'{"padding": "' + b"x" * 2_000_000 + b'"}'
    client = make_client(options=Options(**{**_fields(FAST), "max_snapshot_bytes": 100_000}))

    eventually(lambda: "over 100000 bytes" in (client.status.message or ""), what="the refusal")
    assert client.status.source is None


def test_huge_stream_line__drops_the_stream_and_reconnects(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    server.stream_prelude = b"data: " + b"x" * 300_000
    client = make_client()  # (it flips between READY and STALE as each stream is refused)
    eventually(lambda: client.status.source is Source.NETWORK, what="the snapshot")

    server.wait_for(STREAM, 2)
    assert client.get_boolean("new_checkout", CUSTOMER) is True


def test_malformed_stream_events__are_ignored(server: FakeServer, make_client: Callable[..., Client]) -> None:
    server.stream_prelude = b"event: snapshot\ndata: {not json\n\nevent: snapshot\ndata: [1]\n\n\xff\xfe\n\n"
    client = ready(make_client())
    server.wait_for(STREAM)

    server.publish({"new_checkout": flag(False)})

    eventually(lambda: client.get_boolean("new_checkout", CUSTOMER, True) is False, what="the change")
    assert server.count(STREAM) == 1


def _fields(options: Options) -> dict[str, object]:
    return {name: getattr(options, name) for name in options.__slots__}  # type: ignore[attr-defined]
