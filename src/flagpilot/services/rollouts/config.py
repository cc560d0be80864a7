"""A rollout's settings as a caller asks for them, checked before anything is stored.

Every problem names the field the caller sent (`rollbackThreshold.errorRate`,
`whitelistedCustomers[2]`, ...) so the API can point at it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flagpilot.core import Problem
from flagpilot.services.errors import InvalidInput
from flagpilot.services.rollouts.rollout_records import (
    DEFAULT_ERROR_RATE_THRESHOLD,
    DEFAULT_MIN_DWELL_SECONDS,
    DEFAULT_MIN_EVENTS,
    DEFAULT_TIME_WINDOW_MS,
)

MAX_WHITELIST = 10_000
MAX_CUSTOMER_ID = 128
MAX_TIME_WINDOW_MS = 7 * 24 * 3_600_000
MAX_DWELL_SECONDS = 90 * 24 * 3600


@dataclass(frozen=True, slots=True)
class RolloutConfig:
    """The settings a rollout is created with; defaults are the checklist's."""

    whitelisted_customers: tuple[str, ...] = ()
    error_rate_threshold: float = DEFAULT_ERROR_RATE_THRESHOLD
    time_window_ms: int = DEFAULT_TIME_WINDOW_MS
    min_dwell_seconds: int = DEFAULT_MIN_DWELL_SECONDS
    min_events: int = DEFAULT_MIN_EVENTS

    @classmethod
    def from_wire(cls, body: Mapping[str, Any], subject: str = "rollout") -> RolloutConfig:
        """Parse `{"whitelistedCustomers", "rollbackThreshold": {"errorRate", "timeWindow"}, ...}`.

        The dwell time is `minDwellSeconds` or, as people say it, `minDwellHours` (not both).
        Missing keys take the defaults. Raises `InvalidInput` naming every bad field.
        """
        threshold = body.get("rollbackThreshold", {})
        if not isinstance(threshold, Mapping):
            raise InvalidInput(
                "rollbackThreshold must be an object",
                [Problem(subject, "rollbackThreshold", "must be an object")],
            )
        whitelist = body.get("whitelistedCustomers", [])
        config = cls(
            whitelisted_customers=tuple(whitelist) if isinstance(whitelist, list | tuple) else whitelist,
            error_rate_threshold=threshold.get("errorRate", DEFAULT_ERROR_RATE_THRESHOLD),
            time_window_ms=threshold.get("timeWindow", DEFAULT_TIME_WINDOW_MS),
            min_dwell_seconds=_dwell_seconds(body, subject),
            min_events=body.get("minEvents", DEFAULT_MIN_EVENTS),
        )
        config.validate(subject)
        return config

    def problems(self, subject: str = "rollout") -> list[Problem]:
        """Everything wrong with these settings, each naming its field."""
        found = _whitelist_problems(self.whitelisted_customers, subject)
        rate = self.error_rate_threshold
        if not _is_number(rate) or not 0.0 <= rate <= 1.0:
            found.append(Problem(subject, "rollbackThreshold.errorRate", "must be a number from 0 to 1"))
        if not _is_int(self.time_window_ms) or not 0 < self.time_window_ms <= MAX_TIME_WINDOW_MS:
            found.append(
                Problem(
                    subject,
                    "rollbackThreshold.timeWindow",
                    f"must be whole milliseconds, above 0 and at most {MAX_TIME_WINDOW_MS}",
                )
            )
        if not _is_int(self.min_dwell_seconds) or not 0 <= self.min_dwell_seconds <= MAX_DWELL_SECONDS:
            found.append(
                Problem(subject, "minDwellSeconds", f"must be whole seconds from 0 to {MAX_DWELL_SECONDS}")
            )
        if not _is_int(self.min_events) or self.min_events < 1:
            found.append(Problem(subject, "minEvents", "must be a whole number of at least 1"))
        return found

    def validate(self, subject: str = "rollout") -> None:
        """Raise `InvalidInput` listing every problem, if there is any."""
        found = self.problems(subject)
        if found:
            raise InvalidInput("; ".join(str(p) for p in found), found)


def _dwell_seconds(body: Mapping[str, Any], subject: str) -> Any:
    """`minDwellSeconds` as given, or `minDwellHours` in whole seconds (validated afterwards)."""
    if "minDwellHours" not in body:
        return body.get("minDwellSeconds", DEFAULT_MIN_DWELL_SECONDS)
    hours = body["minDwellHours"]
    if "minDwellSeconds" in body:
        raise InvalidInput(
            "give minDwellHours or minDwellSeconds, not both",
            [Problem(subject, "minDwellHours", "cannot be combined with minDwellSeconds")],
        )
    if not _is_number(hours) or not 0 <= hours <= MAX_DWELL_SECONDS / 3600:
        raise InvalidInput(
            "minDwellHours is out of range",
            [
                Problem(
                    subject,
                    "minDwellHours",
                    f"must be a number of hours from 0 to {MAX_DWELL_SECONDS // 3600}",
                )
            ],
        )
    return round(hours * 3600)


def _whitelist_problems(whitelist: object, subject: str) -> list[Problem]:
    if not isinstance(whitelist, tuple):
        return [Problem(subject, "whitelistedCustomers", "must be a list of customer ids")]
    if len(whitelist) > MAX_WHITELIST:
        return [Problem(subject, "whitelistedCustomers", f"must hold at most {MAX_WHITELIST} customers")]
    found = []
    seen: set[str] = set()
    for index, customer in enumerate(whitelist):
        where = f"whitelistedCustomers[{index}]"
        if not isinstance(customer, str) or not customer.strip():
            found.append(Problem(subject, where, "must be a non-empty customer id"))
        elif len(customer) > MAX_CUSTOMER_ID:
            found.append(Problem(subject, where, f"must be at most {MAX_CUSTOMER_ID} characters"))
        elif customer in seen:
            found.append(Problem(subject, where, f"repeats {customer!r}"))
        else:
            seen.add(customer)
    return found


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
