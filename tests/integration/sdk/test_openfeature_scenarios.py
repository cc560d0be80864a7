"""OpenFeature's evaluation scenarios (the specification's `evaluation_v2.feature` over its
`test-flags.json`), restated for flagpilot and run through the OpenFeature SDK against
`FlagpilotProvider`.

The flags are the specification's, written as flagpilot definitions. Two translations are
needed, since flagpilot targets by customer and organization ids rather than by rules over
arbitrary attributes, and names variants only for booleans:

- a flag that the specification targets at one e-mail address is a flag whose default is its
  "zero" value, with a customer override for that address; the context carries the address as
  its targeting key (our customer id);
- variant names are `on`/`off` for boolean values and absent otherwise.

`COVERAGE` lists every scenario of the feature with the test that covers it, or why it cannot
apply to flagpilot.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagEvaluationDetails, FlagEvaluationOptions
from openfeature.hook import Hook, HookContext
from openfeature.provider import ProviderStatus

from flagpilot.sdk import Client, FlagpilotProvider, Options
from tests.integration.sdk.conftest import FAST, eventually
from tests.integration.sdk.fake_server import FakeServer

TARGETED = "ballmer@macrosoft.com"
PICTURES = {"showImages": True, "title": "Check out these pics!", "imagesPerPage": 100}


def _flag(kind: str, default: Any, **config: Any) -> dict[str, Any]:
    return {"type": kind, "defaultValue": default, **config}


def _targeted(kind: str, zero: Any, other: Any) -> dict[str, Any]:
    # the zero value for the targeted address, and the zero value as the default for everyone else
    del other
    return _flag(kind, zero, customerOverrides={TARGETED: zero})


FLAGS: dict[str, dict[str, Any]] = {
    "boolean-flag": _flag("bool", False, value=True),
    "string-flag": _flag("string", "bye", value="hi"),
    "integer-flag": _flag("number", 1, value=10),
    "float-flag": _flag("number", 0.1, value=0.5),
    "object-flag": _flag("json", {}, value=PICTURES),
    "boolean-zero-flag": _flag("bool", True, value=False),
    "string-zero-flag": _flag("string", "str", value=""),
    "integer-zero-flag": _flag("number", 1, value=0),
    "float-zero-flag": _flag("number", 1.0, value=0.0),
    "object-zero-flag": _flag("json", PICTURES, value={}),
    "boolean-targeted-zero-flag": _targeted("bool", False, True),
    "string-targeted-zero-flag": _targeted("string", "", "str"),
    "integer-targeted-zero-flag": _targeted("number", 0, 1),
    "float-targeted-zero-flag": _targeted("number", 0.0, 1.0),
    "object-targeted-zero-flag": _targeted("json", {}, PICTURES),
    "boolean-disabled-flag": _flag("bool", False, value=True, killed=True),
    "string-disabled-flag": _flag("string", "bye", value="hi", killed=True),
    "metadata-flag": _flag("bool", False, value=True),
}
SNAPSHOT = {"formatVersion": 1, "environment": "production", "version": 3, "flags": FLAGS}

COVERAGE: dict[str, str] = {
    "Resolve values": "test_resolves_values",
    "Resolves zero value": "test_resolves_values",
    "Resolves zero value with targeting": "test_resolves_values (the address as targeting key)",
    "Resolves zero value with targeting using default": "test_resolves_values",
    "Flag not found error": "test_resolves_values",
    "Type mismatch error": "test_resolves_values",
    "Provider not ready error": "test_not_ready_provider__short_circuits_with_provider_not_ready",
    "Provider in fatal state error": "test_fatal_provider__answers_the_default_with_provider_fatal",
    "Complete evaluation details structure": "test_resolves_values (variants: on/off for booleans only)",
    "Flag metadata in evaluation details": "n/a: flagpilot flags carry no free metadata; the provider's "
    "metadata is the snapshot version (and the rollout tier): test_metadata_is_the_snapshot_version",
    "Empty evaluation context": "test_resolves_values",
    "Null context values": "test_resolves_values",
    "Multiple context attributes targeting": "n/a: flagpilot has no rules over arbitrary attributes "
    "(targeting is by customer and organization id, and rollouts by a stickiness attribute)",
    "Structure flag evaluation": "test_resolves_values",
    "Variant field population": "test_resolves_values (non-boolean values have no variant in flagpilot)",
    "CACHED reason": "n/a: every evaluation is computed locally from the snapshot; none is cached",
    "DISABLED reason": "test_resolves_values (the kill switch)",
    "Error message in evaluation details": "test_error_message_names_the_flag",
    "Provider status accessibility": "test_provider_status_is_reported",
    "Evaluation options with hooks": "test_hooks_run_in_order",
    "Default value type validation": "test_resolves_values",
    "Evaluation context immutability": "test_context_is_left_unchanged (the details' immutability is the "
    "OpenFeature SDK's, not the provider's)",
    "Asynchronous flag evaluation": "test_asynchronous_evaluation_matches",
}

_domains = itertools.count()
GETTERS = {
    "Boolean": OpenFeatureClient.get_boolean_details,
    "String": OpenFeatureClient.get_string_details,
    "Integer": OpenFeatureClient.get_integer_details,
    "Float": OpenFeatureClient.get_float_details,
    "Object": OpenFeatureClient.get_object_details,
}
EMPTY = EvaluationContext()
AT = EvaluationContext(targeting_key=TARGETED)
ELSEWHERE = EvaluationContext(targeting_key="ballmer@none.com")
NULL = EvaluationContext(attributes={"email": None})

# (scenario, kind, flag, default, context, value, reason, variant, error code)
CASES: list[tuple[str, str, str, Any, EvaluationContext, Any, str, str | None, ErrorCode | None]] = [
    ("Resolve values", "Boolean", "boolean-flag", False, EMPTY, True, "STATIC", "on", None),
    ("Resolve values", "String", "string-flag", "bye", EMPTY, "hi", "STATIC", None, None),
    ("Resolve values", "Integer", "integer-flag", 1, EMPTY, 10, "STATIC", None, None),
    ("Resolve values", "Float", "float-flag", 0.1, EMPTY, 0.5, "STATIC", None, None),
    ("Resolve values", "Object", "object-flag", {}, EMPTY, PICTURES, "STATIC", None, None),
    ("Resolves zero value", "Boolean", "boolean-zero-flag", True, EMPTY, False, "STATIC", "off", None),
    ("Resolves zero value", "String", "string-zero-flag", "hi", EMPTY, "", "STATIC", None, None),
    ("Resolves zero value", "Integer", "integer-zero-flag", 1, EMPTY, 0, "STATIC", None, None),
    ("Resolves zero value", "Float", "float-zero-flag", 0.1, EMPTY, 0.0, "STATIC", None, None),
    ("Resolves zero value", "Object", "object-zero-flag", {"a": 1}, EMPTY, {}, "STATIC", None, None),
    *[
        (scenario, kind, f"{kind.lower()}-targeted-zero-flag", default, context, zero, reason, variant, None)
        for scenario, context, reason in [
            ("Resolves zero value with targeting", AT, "TARGETING_MATCH"),
            ("Resolves zero value with targeting using default", ELSEWHERE, "DEFAULT"),
            ("Empty evaluation context", EMPTY, "DEFAULT"),
            ("Null context values", NULL, "DEFAULT"),
        ]
        for kind, default, zero, variant in [
            ("Boolean", True, False, "off"),
            ("String", "hi", "", None),
            ("Integer", 1, 0, None),
            ("Float", 0.1, 0.0, None),
            ("Object", {"a": 1}, {}, None),
        ]
    ],
    *[
        (
            "Flag not found error",
            kind,
            "non-existent-flag",
            default,
            EMPTY,
            default,
            "ERROR",
            None,
            ErrorCode.FLAG_NOT_FOUND,
        )
        for kind, default in [
            ("Boolean", False),
            ("String", "bye"),
            ("Integer", 1),
            ("Float", 0.1),
            ("Object", {"a": 1}),
        ]
    ],
    *[
        (scenario, kind, key, default, EMPTY, default, "ERROR", None, ErrorCode.TYPE_MISMATCH)
        for scenario, kind, key, default in [
            ("Type mismatch error", "String", "boolean-flag", "bye"),
            ("Type mismatch error", "Boolean", "string-flag", False),
            ("Type mismatch error", "Integer", "string-flag", 1),
            ("Type mismatch error", "Object", "string-flag", {}),
            ("Default value type validation", "Boolean", "string-flag", False),
            ("Default value type validation", "String", "boolean-flag", "bye"),
            ("Default value type validation", "Integer", "boolean-flag", 1),
            ("Default value type validation", "Float", "boolean-flag", 0.1),
        ]
    ],
    ("Structure flag evaluation", "Object", "object-flag", {}, EMPTY, PICTURES, "STATIC", None, None),
    ("DISABLED reason", "Boolean", "boolean-disabled-flag", False, EMPTY, False, "DISABLED", "off", None),
    ("DISABLED reason", "String", "string-disabled-flag", "bye", EMPTY, "bye", "DISABLED", None, None),
]


@pytest.fixture(scope="module")
def of_client() -> Iterator[OpenFeatureClient]:
    """An OpenFeature client over a stable provider: the flags above, loaded and READY."""
    client = Client(None, bootstrap=SNAPSHOT, offline=True)
    name = f"scenarios-{next(_domains)}"
    api.set_provider_and_wait(FlagpilotProvider(client), domain=name)
    yield api.get_client(domain=name)
    client.close()


def evaluate(
    client: OpenFeatureClient, kind: str, key: str, default: Any, context: EvaluationContext
) -> FlagEvaluationDetails[Any]:
    getter: Callable[..., FlagEvaluationDetails[Any]] = GETTERS[kind]  # type: ignore[assignment]
    return getter(client, key, default, context)


@pytest.mark.parametrize(
    ("scenario", "kind", "key", "default", "context", "value", "reason", "variant", "error"),
    CASES,
    ids=[f"{c[0]}: {c[1]} {c[2]}" for c in CASES],
)
def test_resolves_values(
    of_client: OpenFeatureClient,
    scenario: str,
    kind: str,
    key: str,
    default: Any,
    context: EvaluationContext,
    value: Any,
    reason: str,
    variant: str | None,
    error: ErrorCode | None,
) -> None:
    details = evaluate(of_client, kind, key, default, context)

    assert scenario in COVERAGE
    assert (details.flag_key, details.value, details.reason, details.variant, details.error_code) == (
        key,
        value,
        reason,
        variant,
        error,
    )
    assert type(details.value) is type(value)


def test_metadata_is_the_snapshot_version(of_client: OpenFeatureClient) -> None:
    assert of_client.get_boolean_details("metadata-flag", False).flag_metadata == {"version": 3}


def test_error_message_names_the_flag(of_client: OpenFeatureClient) -> None:
    details = of_client.get_boolean_details("error-flag", False)

    assert details.reason == "ERROR"
    assert "'error-flag'" in (details.error_message or "")


def test_hooks_run_in_order(of_client: OpenFeatureClient) -> None:
    calls: list[str] = []

    class Recording(Hook):
        def __init__(self, name: str) -> None:
            self.name = name

        def before(self, hook_context: HookContext, hints: Any) -> None:
            calls.append(f"before {self.name}")

        def after(self, hook_context: HookContext, details: FlagEvaluationDetails[Any], hints: Any) -> None:
            calls.append(f"after {self.name}")

    options = FlagEvaluationOptions(hooks=[Recording("a"), Recording("b")])
    value = of_client.get_boolean_value("boolean-flag", False, flag_evaluation_options=options)

    assert value is True
    assert calls == ["before a", "before b", "after b", "after a"]


def test_context_is_left_unchanged(of_client: OpenFeatureClient) -> None:
    attributes = {"organizationId": "org-a", "plan": "pro"}
    context = EvaluationContext(targeting_key=TARGETED, attributes=attributes)

    of_client.get_boolean_details("boolean-targeted-zero-flag", True, context)

    assert context.targeting_key == TARGETED
    assert dict(context.attributes) == {"organizationId": "org-a", "plan": "pro"}


def test_asynchronous_evaluation_matches(of_client: OpenFeatureClient) -> None:
    expected = of_client.get_boolean_details("boolean-flag", False)

    found = asyncio.run(of_client.get_boolean_details_async("boolean-flag", False))

    assert (found.value, found.reason, found.variant) == (expected.value, expected.reason, expected.variant)


def _status_of(provider: FlagpilotProvider, *, wait: bool) -> OpenFeatureClient:
    name = f"scenarios-{next(_domains)}"
    if wait:
        with contextlib.suppress(Exception):  # an error or fatal provider fails its initialisation, rightly
            api.set_provider_and_wait(provider, domain=name)
    else:
        api.set_provider(provider, domain=name)
    return api.get_client(domain=name)


def assert_every_type_answers_the_default(client: OpenFeatureClient, code: ErrorCode) -> None:
    for kind, default in [
        ("Boolean", False),
        ("String", "bye"),
        ("Integer", 1),
        ("Float", 0.1),
        ("Object", {"a": 1}),
    ]:
        details = evaluate(client, kind, f"{kind.lower()}-flag", default, EMPTY)
        assert (details.value, details.reason, details.error_code) == (default, "ERROR", code)


def test_fatal_provider__answers_the_default_with_provider_fatal(server: FakeServer) -> None:
    fatal = Client(server.url, "fp_revoked", options=FAST)
    try:
        refused = _status_of(FlagpilotProvider(fatal), wait=True)
        assert_every_type_answers_the_default(refused, ErrorCode.PROVIDER_FATAL)
    finally:
        fatal.close()


def test_not_ready_provider__short_circuits_with_provider_not_ready(server: FakeServer) -> None:
    server.hanging.set()
    client = Client(server.url, "fp_server-sdk_test", options=Options(read_timeout=30, connect_timeout=30))
    try:
        waiting = _status_of(FlagpilotProvider(client, init_timeout=30), wait=False)
        assert_every_type_answers_the_default(waiting, ErrorCode.PROVIDER_NOT_READY)
        assert waiting.get_provider_status() is ProviderStatus.NOT_READY
    finally:
        server.hanging.clear()
        client.close()


def test_provider_status_is_reported(server: FakeServer) -> None:
    stable = Client(None, bootstrap=SNAPSHOT, offline=True)
    patient = Options(**{**{n: getattr(FAST, n) for n in FAST.__slots__}, "grace": 60.0})  # type: ignore[attr-defined]
    stale = Client(server.url, "fp_server-sdk_test", options=patient)
    failing = Client("http://127.0.0.1:9", "fp_server-sdk_test", options=FAST)
    fatal = Client(server.url, "fp_revoked", options=FAST)
    try:
        statuses = {
            "stable": _status_of(FlagpilotProvider(stable), wait=True),
            "error": _status_of(FlagpilotProvider(failing, init_timeout=0.5), wait=True),
            "fatal": _status_of(FlagpilotProvider(fatal), wait=True),
            "stale": _status_of(FlagpilotProvider(stale), wait=True),
        }
        server.wait_for("/api/sdk/stream")
        server.snapshot_status = 503
        server.drop_streams()
        eventually(lambda: statuses["stale"].get_provider_status() is ProviderStatus.STALE, what="STALE")

        assert {name: client.get_provider_status() for name, client in statuses.items()} == {
            "stable": ProviderStatus.READY,
            "error": ProviderStatus.ERROR,
            "fatal": ProviderStatus.FATAL,
            "stale": ProviderStatus.STALE,
        }
    finally:
        for client in (stable, stale, failing, fatal):
            client.close()


def test_coverage__names_every_scenario_once() -> None:
    covered = {case[0] for case in CASES}
    assert covered <= set(COVERAGE)
    assert len(COVERAGE) == 23
