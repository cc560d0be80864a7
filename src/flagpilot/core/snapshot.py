"""An immutable, compiled view of every flag in one environment at one version.

A snapshot is what servers and SDKs evaluate against: the database is never touched on the
request path. Errors are values here: nothing a caller passes in makes `evaluate` raise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Final

from flagpilot.core.compiled import CompiledFlag
from flagpilot.core.context import EvaluationContext
from flagpilot.core.enums import ErrorCode, FlagType, Reason
from flagpilot.core.explain import Explanation, Step, explain_state
from flagpilot.core.model import FlagState, FlagValue
from flagpilot.core.prerequisites import prerequisite_order
from flagpilot.core.result import EvaluationResult


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Final = _NoDefault()
"""Marker for "the caller gave no default": an error result then carries the flag's own default
(a partial rollout's missing targeting key) or None (an unknown flag, a type mismatch)."""


class Snapshot:
    """All flags of one environment, compiled for evaluation.

    Args:
        states: the flags and their configuration in `environment`.
        environment: the environment name, e.g. `production`.
        version: a number that grows with every change; results carry it.
        flags_enabled: the master switch; when False every flag answers its built-in default
            with reason `DEFAULT` (a safe mode for when flag data is suspect).
        previous: an earlier snapshot of the same environment whose compiled flags may be taken
            over: a flag is compiled again only if its state is not the very object `previous`
            was built from, or a prerequisite above it was compiled again, or its prerequisites
            are blocked differently. A server that rebuilds after each write then compiles only
            what the write changed. The results of a flag taken over carry the version it was
            compiled at, which is never newer than `version` (its answers have not changed since).

    The version and the master switch are compiled into every flag, so they are read-only.
    """

    __slots__ = ("_compiled", "_environment", "_evaluators", "_flags_enabled", "_states", "_version")

    def __init__(
        self,
        states: Iterable[FlagState],
        *,
        environment: str,
        version: int,
        flags_enabled: bool = True,
        previous: Snapshot | None = None,
    ) -> None:
        self._environment = environment
        self._version = version
        self._flags_enabled = flags_enabled
        ordered = {state.key: state for state in states}
        self._states: Mapping[str, FlagState] = MappingProxyType(ordered)
        reusable: Mapping[str, CompiledFlag] = {} if previous is None else previous._compiled
        self._compiled: dict[str, CompiledFlag] = _compile(ordered, version, flags_enabled, reusable)
        # evaluate_all's loop, with each closure fetched once here rather than per call.
        self._evaluators = tuple((key, compiled.evaluate) for key, compiled in self._compiled.items())

    @property
    def environment(self) -> str:
        """The environment these flags are configured for."""
        return self._environment

    @property
    def version(self) -> int:
        """The version every result carries."""
        return self._version

    @property
    def flags_enabled(self) -> bool:
        """The master switch: False answers every flag with its built-in default."""
        return self._flags_enabled

    @property
    def states(self) -> Mapping[str, FlagState]:
        """The flag states by key, in the order they were given."""
        return self._states

    def __contains__(self, key: object) -> bool:
        return key in self._compiled

    def __len__(self) -> int:
        return len(self._compiled)

    def evaluate(
        self,
        key: str,
        ctx: EvaluationContext,
        default: FlagValue = NO_DEFAULT,
        expected_type: FlagType | None = None,
    ) -> EvaluationResult:
        """Evaluate one flag for `ctx`.

        Args:
            key: the flag key.
            ctx: who is asking.
            default: the caller's default, returned with reason `ERROR` if evaluation fails.
            expected_type: the type the caller wants; a different flag type is `TYPE_MISMATCH`.
        """
        try:
            compiled = self._compiled[key]
        except KeyError:
            return self._error(key, default, ErrorCode.FLAG_NOT_FOUND, f"flag {key!r} does not exist")
        if expected_type is not None and compiled.state.definition.type is not expected_type:
            return self._error(
                key,
                default,
                ErrorCode.TYPE_MISMATCH,
                f"flag {key!r} is of type {compiled.state.definition.type.value}, not {expected_type.value}",
            )
        evaluate = compiled.evaluate  # an attribute, not a method: loading it first is faster
        result = evaluate(ctx)  # the master switch is compiled in
        if result.error_code is None or default is NO_DEFAULT:
            return result
        return replace(result, value=default)

    def evaluate_all(self, ctx: EvaluationContext) -> dict[str, EvaluationResult]:
        """Evaluate every flag for `ctx`, keyed by flag key."""
        return {key: evaluate(ctx) for key, evaluate in self._evaluators}

    def evaluate_many(self, keys: Iterable[str], ctx: EvaluationContext) -> dict[str, EvaluationResult]:
        """Evaluate the flags of `keys` that exist for `ctx`, keyed by flag key (the others are left
        out): a caller that shows a few flags pays for those, however many the environment has."""
        compiled = self._compiled
        return {key: compiled[key].evaluate(ctx) for key in keys if key in compiled}

    def explain(self, key: str, ctx: EvaluationContext) -> Explanation:
        """Evaluate one flag and say, step by step, why it has its value."""
        state = self._states.get(key)
        if state is None:
            result = self._error(key, NO_DEFAULT, ErrorCode.FLAG_NOT_FOUND, f"flag {key!r} does not exist")
            return Explanation(result=result, steps=())
        if not self.flags_enabled:
            step = Step(0, "master switch", True, "flag evaluation is switched off: built-in default")
            result = replace(self._compiled[key].default_result, version=self.version)
            return Explanation(result=result, steps=(step,))
        compiled = self._compiled
        return explain_state(
            state,
            ctx,
            self.version,
            prerequisite=lambda parent: compiled[parent].evaluate(ctx) if parent in compiled else None,
            blocked=compiled[key].blocked,
        )

    def _error(self, key: str, default: FlagValue, code: ErrorCode, message: str) -> EvaluationResult:
        return EvaluationResult(
            key=key,
            value=None if default is NO_DEFAULT else default,
            reason=Reason.ERROR,
            error_code=code,
            error_message=message,
            version=self.version,
        )


def _compile(
    states: Mapping[str, FlagState],
    version: int,
    enabled: bool,
    reusable: Mapping[str, CompiledFlag],
) -> dict[str, CompiledFlag]:
    """Compile every flag, each after its prerequisites so that its closure can call theirs, taking
    over from `reusable` each flag whose inputs are the very same objects; the result keeps the
    order of `states`."""
    plan = prerequisite_order(states)
    compiled: dict[str, CompiledFlag] = {}
    for key in plan.order:
        state = states[key]
        earlier = reusable.get(key)
        required = state.definition.prerequisites
        if not required:  # most flags: never blocked, no parents to compare
            if earlier is not None and earlier.state is state and earlier.enabled == enabled:
                compiled[key] = earlier
            else:
                compiled[key] = CompiledFlag(state, version, enabled=enabled)
            continue
        blocked = plan.blocked.get(key)
        parents = () if blocked else tuple(compiled[p] for p in dict.fromkeys(required))
        if (
            earlier is not None
            and earlier.state is state
            and earlier.enabled == enabled
            and earlier.blocked == blocked
            and len(earlier.parents) == len(parents)
            and all(old is new for old, new in zip(earlier.parents, parents, strict=True))
        ):
            compiled[key] = earlier
        else:
            compiled[key] = CompiledFlag(state, version, enabled=enabled, parents=parents, blocked=blocked)
    return {key: compiled[key] for key in states}
