"""The checklist's Rollout Plan: start (1%, the internal team), then 10%, 50% and 100%.

A fixed cohort of customers asks the widget at every tier: the share with phase 2's enhanced
storage follows the tier's percentage, and nobody who had the feature loses it on an advance.
"""

from __future__ import annotations

import math

import pytest

from flagpilot.core.bucketing import in_rollout
from tests.acceptance.conftest import AFTER_STEP4, INTERNAL_CUSTOMER
from tests.acceptance.operator import FEATURE, ROLLOUT, Operator

# One worker runs the whole module, so its database and servers are set up once.
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("acceptance_rollout_plan")]

COHORT = tuple(f"customer-{n:04d}" for n in range(2_000))
LATER_TIERS = (("tier_2_early_adopters", 10), ("tier_3_general", 50), ("tier_4_full", 100))
FORCE_REASON = "weekly review approved the tier before its 48 hours"


@pytest.fixture(scope="module")
def database_setup() -> list[list[str]]:
    """Steps 1 and 4: the six rollouts planned."""
    return AFTER_STEP4


def assert_share(customers: set[str], percentage: float) -> None:
    """`customers` are about `percentage` % of the cohort, and exactly the ones the design's hash puts in."""
    expected = percentage / 100
    tolerance = 4 * math.sqrt(expected * (1 - expected) / len(COHORT)) + 1 / len(COHORT)
    assert abs(len(customers) / len(COHORT) - expected) <= tolerance, (len(customers), percentage)
    assert customers == {c for c in COHORT if in_rollout(FEATURE, c, percentage)}


def test_rollout_plan__each_tier_serves_its_share_and_nobody_loses_the_feature_on_advance(
    operator: Operator,
) -> None:
    # Given Step 4's planned rollout: nobody has enhanced storage yet
    assert operator.cohort_with_feature(COHORT) == set()

    # When week 1 starts it: `startRollout('phase2_enhanced_storage')`
    started = operator.rollout("start")

    # Then "Status: 1% (internal team only)": the whitelisted internal customer has it, and 1%
    assert (started["currentTier"], started["percentage"], started["status"]) == (
        "tier_1_internal",
        1,
        "active",
    )
    assert operator.has_enhanced_storage(INTERNAL_CUSTOMER)
    previous = operator.cohort_with_feature(COHORT)
    assert_share(previous, 1)

    # When an advance is asked before the tier has been held 48 hours
    early = operator.post(f"{ROLLOUT}/advance", {"featureName": FEATURE, "fromTier": "tier_1_internal"})

    # Then it is refused by the dwell gate ("minimum 48 hours per tier")
    assert early.status_code == 409
    assert early.json()["type"].endswith("gate-closed")
    assert "min_dwell" in early.text

    for tier, percentage in LATER_TIERS:
        # When weeks 2-4 advance, forced past the dwell time with a reason
        advanced = operator.rollout("advance", force=True, reason=FORCE_REASON)

        # Then the tier serves its share, a superset of the previous tier's customers
        assert (advanced["currentTier"], advanced["percentage"]) == (tier, percentage)
        cohort = operator.cohort_with_feature(COHORT)
        assert_share(cohort, percentage)
        assert previous <= cohort, f"lost the feature at {tier}: {sorted(previous - cohort)[:5]}"
        assert operator.has_enhanced_storage(INTERNAL_CUSTOMER)
        previous = cohort

    assert previous == set(COHORT)
