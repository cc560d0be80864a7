"""The OpenFeature provider under the real OpenFeature SDK: non-blocking and blocking set-up,
status events one to one, value/variant/reason/metadata, and tracking as outcome events."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import EventDetails, ProviderEvent
from openfeature.exception import ErrorCode, ProviderFatalError
from openfeature.provider import ProviderStatus
from openfeature.track import TrackingEventDetails

from flagpilot.sdk import Client, FlagpilotProvider
from tests.integration.sdk.conftest import eventually
from tests.integration.sdk.fake_server import FakeServer, flag

_domains = itertools.count()
CONTEXT = EvaluationContext(targeting_key="c-1", attributes={"organizationId": "org-a"})


def domain() -> str:
    return f"flagpilot-test-{next(_domains)}"


def test_set_provider__returns_at_once_and_is_not_ready_until_data_arrives(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    server.hanging.set()
    provider = FlagpilotProvider(make_client(), init_timeout=5)
    name = domain()

    started = time.monotonic()
    api.set_provider(provider, domain=name)
    took = time.monotonic() - started
    client = api.get_client(domain=name)

    assert took < 1.0
    assert client.get_provider_status() is ProviderStatus.NOT_READY
    details = client.get_boolean_details("new_checkout", False, CONTEXT)
    assert (details.value, details.error_code) == (False, ErrorCode.PROVIDER_NOT_READY)

    server.hanging.clear()
    eventually(lambda: client.get_provider_status() is ProviderStatus.READY, what="READY")
    assert client.get_boolean_value("new_checkout", False, CONTEXT) is True


def test_set_provider_and_wait__maps_the_result_one_to_one(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    server.publish({"new_checkout": flag(True, customerOverrides={"c-1": False}), "limit": flag(3)})
    name = domain()
    api.set_provider_and_wait(FlagpilotProvider(make_client()), domain=name)
    client = api.get_client(domain=name)

    details = client.get_boolean_details("new_checkout", True, CONTEXT)
    other = client.get_boolean_details("new_checkout", False, EvaluationContext(targeting_key="c-2"))
    number = client.get_integer_details("limit", 0, CONTEXT)
    mismatch = client.get_string_details("limit", "d", CONTEXT)

    assert (details.value, details.variant, details.reason, details.error_code) == (
        False,
        "off",
        "TARGETING_MATCH",
        None,
    )
    assert details.flag_metadata == {"version": 2}
    assert (other.value, other.variant, other.reason) == (True, "on", "STATIC")
    assert (number.value, number.reason) == (3, "STATIC")
    assert (mismatch.value, mismatch.error_code) == ("d", ErrorCode.TYPE_MISMATCH)
    assert client.get_provider_status() is ProviderStatus.READY


def test_provider_events__stale_error_ready_and_configuration_changed(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    name = domain()
    provider = FlagpilotProvider(make_client())
    api.set_provider_and_wait(provider, domain=name)
    client = api.get_client(domain=name)
    heard: list[tuple[ProviderEvent, EventDetails]] = []
    lock = threading.Lock()

    def listen(event: ProviderEvent) -> Callable[[EventDetails], None]:
        def handler(details: EventDetails) -> None:
            with lock:
                heard.append((event, details))

        return handler

    for event in (
        ProviderEvent.PROVIDER_STALE,
        ProviderEvent.PROVIDER_ERROR,
        ProviderEvent.PROVIDER_CONFIGURATION_CHANGED,
    ):
        client.add_handler(event, listen(event))
    server.wait_for("/api/sdk/stream")

    # When the stream drops and the server is away past the grace period, then comes back changed
    server.snapshot_status = 503
    server.drop_streams()
    eventually(lambda: client.get_provider_status() is ProviderStatus.ERROR, what="ERROR")
    client.add_handler(ProviderEvent.PROVIDER_READY, listen(ProviderEvent.PROVIDER_READY))
    server.snapshot_status = None
    server.publish({"new_checkout": flag(False), "added": flag("x")})

    # Then OpenFeature heard each state once, in order, and which flags changed
    eventually(
        lambda: any(e is ProviderEvent.PROVIDER_CONFIGURATION_CHANGED for e, _ in heard), what="the change"
    )
    eventually(lambda: client.get_provider_status() is ProviderStatus.READY, what="READY again")
    events = [event for event, _ in heard]
    assert events.index(ProviderEvent.PROVIDER_STALE) < events.index(ProviderEvent.PROVIDER_ERROR)
    changed = next(d for e, d in heard if e is ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)
    assert sorted(changed.flags_changed or []) == ["added", "new_checkout"]
    errors = [d for e, d in heard if e is ProviderEvent.PROVIDER_ERROR]
    assert [d.error_code for d in errors] == [ErrorCode.GENERAL]


def test_refused_key__set_provider_and_wait_raises_fatal_and_evaluations_say_so(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    name = domain()

    with pytest.raises(ProviderFatalError):
        api.set_provider_and_wait(FlagpilotProvider(make_client(key="fp_revoked")), domain=name)

    client = api.get_client(domain=name)
    assert client.get_provider_status() is ProviderStatus.FATAL
    details = client.get_boolean_details("new_checkout", True, CONTEXT)
    assert (details.value, details.error_code) == (True, ErrorCode.PROVIDER_FATAL)


def test_track__becomes_an_outcome_event(server: FakeServer, make_client: Callable[..., Client]) -> None:
    name = domain()
    api.set_provider_and_wait(FlagpilotProvider(make_client()), domain=name)
    client = api.get_client(domain=name)

    client.track("new_checkout", CONTEXT, TrackingEventDetails(attributes={"ok": False}))
    client.track("new_checkout", CONTEXT, TrackingEventDetails(attributes={"outcome": "success"}))

    eventually(lambda: sum(len(batch) for batch in server.batches) == 2, what="both outcomes")
    outcomes = sorted(event["outcome"] for batch in server.batches for event in batch)
    assert outcomes == ["error", "success"]
