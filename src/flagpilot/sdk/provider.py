"""`FlagpilotProvider`: the OpenFeature provider over a local-evaluation `Client`.

    from openfeature import api
    api.set_provider(FlagpilotProvider(url=..., server_key=..., environment="production"))

It follows OpenFeature ≥ 0.10: `set_provider()` returns at once and runs `initialize` in the
background, `set_provider_and_wait()` waits for it. `initialize` waits (up to `init_timeout`)
for data from the server and fails — status `ERROR`, or `FATAL` for a refused key — if none
came; evaluations still answer from a bootstrap or disk snapshot meanwhile. After that, the
client's states become provider events one to one (`READY`, `STALE`, `ERROR`, `FATAL` as an
error event with `PROVIDER_FATAL`) and every new snapshot a `CONFIGURATION_CHANGED` naming the
flags it changed. Value, variant, reason, error code and message pass through unchanged (they are
OpenFeature's names already); the flag metadata carries the snapshot `version`, and `tier` when a
rollout decided. `track(flag_key, context, details)` reports a rollout outcome: an `ok` (bool) or
`outcome` (`"success"` / `"error"`) attribute says which; without either it is a success.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from openfeature.evaluation_context import EvaluationContext as OpenFeatureContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode as OpenFeatureErrorCode
from openfeature.exception import GeneralError, ProviderFatalError
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType
from openfeature.provider import AbstractProvider, Metadata
from openfeature.track import TrackingEventDetails

from flagpilot.core import EvaluationResult, FlagType
from flagpilot.sdk._context import ANONYMOUS, ContextLike
from flagpilot.sdk._status import Change, State
from flagpilot.sdk.client import Client

T = TypeVar("T")
_ID_ATTRIBUTES = frozenset({"organizationId", "customerId"})


def context_of(context: OpenFeatureContext | None) -> ContextLike:
    """An OpenFeature context as the client takes it: `targetingKey` is the customer id."""
    if context is None:
        return ANONYMOUS
    attributes = context.attributes
    customer = context.targeting_key or attributes.get("customerId")
    if _ID_ATTRIBUTES.issuperset(attributes):
        return {"customerId": customer, "organizationId": attributes.get("organizationId")}
    return {**attributes, "customerId": customer}


def _metadata(result: EvaluationResult) -> dict[str, int | str]:
    metadata: dict[str, int | str] = {"version": result.version}
    if result.tier is not None:
        metadata["tier"] = result.tier.value
    return metadata


def _details(result: EvaluationResult, value: T) -> FlagResolutionDetails[T]:
    return FlagResolutionDetails(
        value=value,
        reason=result.reason.value,
        variant=result.variant,
        error_code=None if result.error_code is None else OpenFeatureErrorCode(result.error_code.value),
        error_message=result.error_message,
        flag_metadata=_metadata(result),
    )


class FlagpilotProvider(AbstractProvider):
    """An OpenFeature provider evaluating flagpilot flags locally.

    Args:
        client: the client to evaluate with; None builds one from `client_arguments` (the
            provider then closes it on shutdown).
        init_timeout: the longest `initialize` waits for data from the server.
        client_arguments: `Client`'s arguments (`url`, `server_key`, `environment`, …).
    """

    def __init__(
        self, client: Client | None = None, *, init_timeout: float = 10.0, **client_arguments: Any
    ) -> None:
        super().__init__()
        self._owns_client = client is None
        self.client = client if client is not None else Client(**client_arguments)
        self.init_timeout = init_timeout
        self._lock = threading.Lock()
        self._reported: State | None = None  # what OpenFeature was last told; None before initialize

    def get_metadata(self) -> Metadata:
        """The provider's name."""
        return Metadata(name="flagpilot")

    def initialize(self, evaluation_context: OpenFeatureContext) -> None:
        """Wait for data from the server; raise if none came, so OpenFeature reports the error."""
        self.client.add_listener(self._on_change)
        ready = self.client.wait_ready(self.init_timeout)
        status = self.client.status
        with self._lock:
            self._reported = status.state if status.state is not State.NOT_READY else State.ERROR
        if status.state is State.FATAL:
            raise ProviderFatalError(status.message or "the server refused the key")
        if not ready:
            where = f"serving {status.source.value} data" if status.source else "no data"
            raise GeneralError(
                f"flagpilot has not reached the server ({where}): {status.message or 'no answer yet'}"
            )

    def shutdown(self) -> None:
        """Stop listening, and close the client if the provider built it."""
        self.client.remove_listener(self._on_change)
        if self._owns_client:
            self.client.close()

    def _on_change(self, change: Change) -> None:
        state = change.status.state
        with self._lock:
            previous = self._reported
            if previous is None:
                return  # before initialize's answer, OpenFeature hears nothing from us
            if state is not State.NOT_READY:
                self._reported = state
        if change.changed_flags:
            self.emit_provider_configuration_changed(
                ProviderEventDetails(flags_changed=list(change.changed_flags))
            )
        if state is previous or state is State.NOT_READY:
            return
        message = change.status.message
        if state is State.READY:
            self.emit_provider_ready(ProviderEventDetails())
        elif state is State.STALE:
            self.emit_provider_stale(ProviderEventDetails(message=message))
        elif state is State.ERROR:
            self.emit_provider_error(
                ProviderEventDetails(message=message, error_code=OpenFeatureErrorCode.GENERAL)
            )
        else:
            self.emit_provider_error(
                ProviderEventDetails(message=message, error_code=OpenFeatureErrorCode.PROVIDER_FATAL)
            )

    def _resolve(
        self,
        key: str,
        default: T,
        context: OpenFeatureContext | None,
        flag_type: FlagType,
        convert: Callable[[Any], T | None],
    ) -> FlagResolutionDetails[T]:
        result = self.client.get_details(key, context_of(context), default, flag_type)
        if result.error_code is not None:
            return self._failed(result, default)
        value = convert(result.value)
        if value is None:
            return FlagResolutionDetails(
                value=default,
                reason="ERROR",
                error_code=OpenFeatureErrorCode.TYPE_MISMATCH,
                error_message=f"flag {key!r} has the value {result.value!r}, not of the type asked for",
                flag_metadata=_metadata(result),
            )
        return _details(result, value)

    def _failed(self, result: EvaluationResult, default: T) -> FlagResolutionDetails[T]:
        status = self.client.status
        if not status.has_data:  # say why there is nothing, in OpenFeature's own codes
            code = (
                OpenFeatureErrorCode.PROVIDER_FATAL
                if status.state is State.FATAL
                else OpenFeatureErrorCode.PROVIDER_NOT_READY
            )
            if result.error_code is not None and result.error_code.value == "PARSE_ERROR":
                code = OpenFeatureErrorCode.PARSE_ERROR
            return FlagResolutionDetails(
                value=default, reason="ERROR", error_code=code, error_message=result.error_message
            )
        return _details(result, default)

    def resolve_boolean_details(
        self, flag_key: str, default_value: bool, evaluation_context: OpenFeatureContext | None = None
    ) -> FlagResolutionDetails[bool]:
        """A boolean flag."""
        return self._resolve(flag_key, default_value, evaluation_context, FlagType.BOOL, _identity)

    def resolve_string_details(
        self, flag_key: str, default_value: str, evaluation_context: OpenFeatureContext | None = None
    ) -> FlagResolutionDetails[str]:
        """A string flag."""
        return self._resolve(flag_key, default_value, evaluation_context, FlagType.STRING, _identity)

    def resolve_integer_details(
        self, flag_key: str, default_value: int, evaluation_context: OpenFeatureContext | None = None
    ) -> FlagResolutionDetails[int]:
        """A number flag whose value is whole; a fractional value is a type mismatch."""
        return self._resolve(flag_key, default_value, evaluation_context, FlagType.NUMBER, _as_integer)

    def resolve_float_details(
        self, flag_key: str, default_value: float, evaluation_context: OpenFeatureContext | None = None
    ) -> FlagResolutionDetails[float]:
        """A number flag, as a float."""
        return self._resolve(flag_key, default_value, evaluation_context, FlagType.NUMBER, float)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[FlagValueType] | Mapping[str, FlagValueType],
        evaluation_context: OpenFeatureContext | None = None,
    ) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
        """A JSON flag whose value is an object or an array."""
        return self._resolve(flag_key, default_value, evaluation_context, FlagType.JSON, _as_structure)

    def track(
        self,
        tracking_event_name: str,
        evaluation_context: OpenFeatureContext | None = None,
        tracking_event_details: TrackingEventDetails | None = None,
    ) -> None:
        """Report one outcome of flag `tracking_event_name` for the context's customer."""
        attributes = {} if tracking_event_details is None else tracking_event_details.attributes
        ok = attributes.get("ok")
        if not isinstance(ok, bool):
            ok = attributes.get("outcome", "success") != "error"
        self.client.track_outcome(tracking_event_name, context_of(evaluation_context), ok)


def _identity(value: Any) -> Any:
    return value


def _as_integer(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _as_structure(value: Any) -> Any:
    return value if isinstance(value, dict | list) else None
