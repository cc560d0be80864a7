"""The evaluation context: who is asking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_ID_KEYS = frozenset({"customerId", "targetingKey", "organizationId"})


@dataclass(frozen=True, slots=True)
class EvaluationContext:
    """Who a flag is evaluated for.

    Attributes:
        customer_id: the targeting key (OpenFeature `targetingKey`); None or "" is anonymous.
        organization_id: the customer's organization, used by organization overrides.
        attributes: free attributes, available as rollout stickiness.
    """

    customer_id: str | None = None
    organization_id: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def stickiness_value(self, stickiness: str) -> str | None:
        """The value a rollout buckets on: the customer id, the organization id or an attribute."""
        if stickiness == "customerId":
            return self.customer_id or None
        if stickiness == "organizationId":
            return self.organization_id or None
        value = self.attributes.get(stickiness)
        return None if value is None or value == "" else str(value)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvaluationContext:
        """Build a context from camelCase JSON; `targetingKey` is accepted for `customerId`."""
        customer = data.get("customerId", data.get("targetingKey"))
        organization = data.get("organizationId")
        attributes = (
            _EMPTY
            if data.keys() <= _ID_KEYS  # most contexts name only the customer: nothing to copy
            else MappingProxyType({key: value for key, value in data.items() if key not in _ID_KEYS})
        )
        return cls(
            customer_id=None if customer is None else str(customer),
            organization_id=None if organization is None else str(organization),
            attributes=attributes,
        )
