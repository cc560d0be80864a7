"""Customers found by bucket search sit exactly at a rollout's bound: inside only strictly below it."""

from __future__ import annotations

import pytest

from flagpilot.core import Reason
from tests.unit.builders import KEY, ctx, flag, rollout, snapshot
from tests.unit.reference import customer_with_bucket


@pytest.mark.parametrize(
    ("percentage", "bucket_range", "expected"),
    [
        (10, range(999, 1000), True),  # the last bucket inside
        (10, range(1000, 1001), False),  # the bound itself is outside
        (0.5, range(49, 50), True),  # a fractional percentage uses the fine digit
        (0.5, range(50, 51), False),
        (33.33, range(3332, 3333), True),
        (33.33, range(3333, 3334), False),
    ],
)
def test_rollout_bucket__at_the_boundary__is_in_only_strictly_below_the_bound(
    percentage: float, bucket_range: range, expected: bool
) -> None:
    # Given a rollout and a customer whose bucket sits exactly at (or just below) its bound
    snap = snapshot(flag(rollout=rollout(percentage)))
    customer = customer_with_bucket(KEY, bucket_range)

    # When the customer asks
    result = snap.evaluate(KEY, ctx(customer))

    # Then bucket < round(percentage * 100) decides
    assert (result.value, result.reason) == (expected, Reason.SPLIT)
