"""The evaluation methods both clients share: local, lock-free, and never raising.

Each call reads the current snapshot once and evaluates against it, so a swap in the middle of
a request cannot mix two versions in one answer.
"""

from __future__ import annotations

from typing import Any

from flagpilot.core import (
    NO_DEFAULT,
    ErrorCode,
    EvaluationResult,
    FlagType,
    FlagValue,
    Reason,
)
from flagpilot.presets import DEFINITIONS, widget_document
from flagpilot.sdk._context import ContextLike, to_context
from flagpilot.sdk._state import ClientState

_BUILTIN_WIDGET_VALUES = {definition.key: definition.default for definition in DEFINITIONS}


class FlagReader:
    """Typed getters, details, every flag, and the chat widget's document over a `ClientState`."""

    _state: ClientState

    def get_boolean(self, key: str, context: ContextLike = None, default: bool = False) -> bool:
        """The value of boolean flag `key` for `context`, or `default` if it cannot be evaluated."""
        value: bool = self._value(key, context, default, FlagType.BOOL)
        return value

    def get_string(self, key: str, context: ContextLike = None, default: str = "") -> str:
        """The value of string flag `key` for `context`, or `default`."""
        value: str = self._value(key, context, default, FlagType.STRING)
        return value

    def get_number(self, key: str, context: ContextLike = None, default: float = 0) -> float:
        """The value of number flag `key` for `context`, or `default` (an `int` stays an `int`)."""
        value: float = self._value(key, context, default, FlagType.NUMBER)
        return value

    def get_object(self, key: str, context: ContextLike = None, default: Any = None) -> Any:
        """The value of JSON flag `key` for `context`, or `default`."""
        return self._value(key, context, default, FlagType.JSON)

    def get_details(
        self,
        key: str,
        context: ContextLike = None,
        default: FlagValue = NO_DEFAULT,
        expected_type: FlagType | None = None,
    ) -> EvaluationResult:
        """The full result: value, reason, variant, error code and message, version and tier.

        Without data (nothing loaded yet, or nothing usable) the result is an error carrying the
        caller's default: `PARSE_ERROR` when the snapshot received could not be read, else `GENERAL`.
        """
        snapshot = self._state.snapshot
        if snapshot is None:
            return self._no_data(key, default)
        try:
            return snapshot.evaluate(key, to_context(context), default, expected_type)
        except Exception as error:  # evaluation never raises into the caller's request
            return _failed(key, default, ErrorCode.GENERAL, f"evaluation failed: {error!r}", snapshot.version)

    def all_flags(self, context: ContextLike = None) -> dict[str, EvaluationResult]:
        """Every flag's result for `context`, by key (empty until data is loaded)."""
        snapshot = self._state.snapshot
        if snapshot is None:
            return {}
        try:
            return snapshot.evaluate_all(to_context(context))
        except Exception:
            return {}

    def widget_config(self, context: ContextLike = None) -> dict[str, Any]:
        """The chat widget's document for `context`: the same as `GET /api/widget/config`.

        Until data is loaded it shows the built-in defaults (Phase 1 on, Phases 2 and 3 off).
        """
        results = self.all_flags(context)
        if not results:
            return widget_document(_BUILTIN_WIDGET_VALUES)
        return widget_document({key: result.value for key, result in results.items()})

    def _value(self, key: str, context: ContextLike, default: Any, expected: FlagType) -> Any:
        snapshot = self._state.snapshot
        if snapshot is None:
            return default
        try:
            return snapshot.evaluate(key, to_context(context), default, expected).value
        except Exception:
            return default

    def _no_data(self, key: str, default: FlagValue) -> EvaluationResult:
        problem = self._state.data_error
        if problem is not None:
            return _failed(key, default, ErrorCode.PARSE_ERROR, f"no usable flag data: {problem}", 0)
        message = self._state.status.message or "no flag data has been loaded yet"
        return _failed(key, default, ErrorCode.GENERAL, message, 0)


def _failed(key: str, default: FlagValue, code: ErrorCode, message: str, version: int) -> EvaluationResult:
    return EvaluationResult(
        key=key,
        value=None if default is NO_DEFAULT else default,
        reason=Reason.ERROR,
        error_code=code,
        error_message=message,
        version=version,
    )
