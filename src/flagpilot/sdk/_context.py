"""Turn what a caller has at hand into the core's `EvaluationContext`, cheaply.

A web handler knows a customer id and an organization id; building a frozen dataclass from them
costs more than the evaluation itself. So a plain mapping is accepted, and contexts that carry
only the two ids are kept in a bounded table: a repeat visitor costs one dict look-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeAlias

from flagpilot.core import EvaluationContext

ContextLike: TypeAlias = EvaluationContext | Mapping[str, Any] | None
"""An `EvaluationContext`, a mapping such as `{"customerId": "c-1", "organizationId": "org-a"}`,
or None for an anonymous visitor."""

ANONYMOUS = EvaluationContext()
MAX_REMEMBERED = 16_384
_ID_KEYS = frozenset({"customerId", "targetingKey", "organizationId"})

_remembered: dict[tuple[Any, Any], EvaluationContext] = {}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def to_context(context: ContextLike) -> EvaluationContext:
    """The core context for `context`; never raises for a mapping of any shape.

    Keys other than `customerId` (or OpenFeature's `targetingKey`) and `organizationId` are
    attributes, available as rollout stickiness; a nested `attributes` mapping is merged in.
    """
    if context is None:
        return ANONYMOUS
    if isinstance(context, EvaluationContext):
        return context
    customer = context.get("customerId")
    if customer is None:
        customer = context.get("targetingKey")
    organization = context.get("organizationId")
    if len(context) <= 2 and _ID_KEYS.issuperset(context):
        key = (customer, organization)
        found = _remembered.get(key)
        if found is None:
            if len(_remembered) >= MAX_REMEMBERED:
                _remembered.clear()  # a crude bound, but it never grows and never locks
            found = _remembered[key] = EvaluationContext(_text(customer), _text(organization))
        return found
    return _with_attributes(context, _text(customer), _text(organization))


def _with_attributes(
    context: Mapping[str, Any], customer: str | None, organization: str | None
) -> EvaluationContext:
    attributes: dict[str, Any] = {}
    nested = context.get("attributes")
    if isinstance(nested, Mapping):
        attributes.update(nested)
    attributes.update((k, v) for k, v in context.items() if k not in _ID_KEYS and k != "attributes")
    return EvaluationContext(customer, organization, MappingProxyType(attributes))
