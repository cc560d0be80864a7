"""Each of DESIGN.md's seven evaluation steps on its own: the value, reason, variant and tier it gives."""

from __future__ import annotations

import pytest

from flagpilot.core import FlagType, Reason, RolloutStatus, Tier
from tests.unit.builders import INSIDE_10, KEY, OUTSIDE_10, ctx, flag, rollout, snapshot
from tests.unit.reference import customer_with_bucket


def test_kill_switch__on_a_boolean_flag__is_off_and_disabled() -> None:
    # Given a boolean flag whose default is on, killed in this environment
    snap = snapshot(flag(default=True, killed=True))

    # When a customer asks
    result = snap.evaluate(KEY, ctx("c-1"))

    # Then it is off, with reason DISABLED
    assert (result.value, result.reason, result.variant, result.tier) == (False, Reason.DISABLED, "off", None)


def test_kill_switch__on_a_string_flag__serves_the_default_and_disabled() -> None:
    # Given a string flag whose environment value says "v2", killed
    snap = snapshot(flag(type=FlagType.STRING, default="v1", value="v2", killed=True))

    # When a customer asks
    result = snap.evaluate(KEY, ctx("c-1"))

    # Then the flag's default is served (there is no "off" string), with reason DISABLED
    assert (result.value, result.reason, result.variant) == ("v1", Reason.DISABLED, None)


def test_customer_override__for_this_customer__is_a_targeting_match() -> None:
    # Given a customer override for c-1 only
    snap = snapshot(flag(customers={"c-1": True}))

    # When c-1 and c-2 ask
    mine, other = snap.evaluate(KEY, ctx("c-1")), snap.evaluate(KEY, ctx("c-2"))

    # Then c-1 gets the override, c-2 the default
    assert (mine.value, mine.reason, mine.variant, mine.tier) == (True, Reason.TARGETING_MATCH, "on", None)
    assert (other.value, other.reason) == (False, Reason.DEFAULT)


def test_organization_override__for_the_customers_organization__is_a_targeting_match() -> None:
    # Given an override for organization acme
    snap = snapshot(flag(organizations={"acme": True}))

    # When a customer of acme and one of another organization ask
    member = snap.evaluate(KEY, ctx("c-1", "acme"))
    outsider = snap.evaluate(KEY, ctx("c-2", "globex"))

    # Then only acme's customer gets it
    assert (member.value, member.reason, member.tier) == (True, Reason.TARGETING_MATCH, None)
    assert (outsider.value, outsider.reason) == (False, Reason.DEFAULT)


def test_organization_override__without_a_customer_id__still_applies() -> None:
    # Given an override for organization acme
    snap = snapshot(flag(organizations={"acme": True}))

    # When an anonymous visitor of acme asks
    result = snap.evaluate(KEY, ctx(None, "acme"))

    # Then the organization decides
    assert (result.value, result.reason) == (True, Reason.TARGETING_MATCH)


def test_rollout_whitelist__for_a_listed_customer__is_on_with_the_tier() -> None:
    # Given a 0% rollout at tier 1 whose whitelist holds c-vip
    snap = snapshot(flag(rollout=rollout(0, tier=Tier.TIER_1_INTERNAL, whitelist=["c-vip"])))

    # When c-vip asks
    result = snap.evaluate(KEY, ctx("c-vip"))

    # Then it is on because of the whitelist, and the tier is reported
    assert (result.value, result.reason, result.variant, result.tier) == (
        True,
        Reason.TARGETING_MATCH,
        "on",
        Tier.TIER_1_INTERNAL,
    )


def test_rollout_bucket__below_the_percentage__is_on_with_split_and_tier() -> None:
    # Given a 10% rollout, and a customer whose bucket is below 1000 (by the reference hash)
    snap = snapshot(flag(rollout=rollout(10)))

    # When that customer asks
    result = snap.evaluate(KEY, ctx(INSIDE_10))

    # Then it is on, reason SPLIT, tier 2
    assert (result.value, result.reason, result.variant, result.tier) == (
        True,
        Reason.SPLIT,
        "on",
        Tier.TIER_2_EARLY_ADOPTERS,
    )


def test_rollout_bucket__at_or_above_the_percentage__is_off_with_split_and_tier() -> None:
    # Given a 10% rollout, and a customer whose bucket is 1000 or more
    snap = snapshot(flag(rollout=rollout(10)))

    # When that customer asks
    result = snap.evaluate(KEY, ctx(OUTSIDE_10))

    # Then it is off, but still decided by the rollout (SPLIT, with the tier)
    assert (result.value, result.reason, result.variant, result.tier) == (
        False,
        Reason.SPLIT,
        "off",
        Tier.TIER_2_EARLY_ADOPTERS,
    )


@pytest.mark.parametrize(("percentage", "expected"), [(0, False), (100, True)])
def test_rollout_at_0_or_100_percent__decides_for_everyone_even_anonymous(
    percentage: float, expected: bool
) -> None:
    # Given a rollout at 0% or 100%
    snap = snapshot(flag(rollout=rollout(percentage)))

    # When a customer and an anonymous visitor ask
    results = [snap.evaluate(KEY, ctx(customer)) for customer in ("c-1", None, "")]

    # Then no bucket is needed: everyone gets the same split answer, and nobody an error
    assert {(r.value, r.reason, r.error_code) for r in results} == {(expected, Reason.SPLIT, None)}


def test_environment_value__without_anything_more_specific__is_static() -> None:
    # Given an environment value that differs from the default
    snap = snapshot(flag(default=False, value=True))

    # When anyone asks
    result = snap.evaluate(KEY, ctx("c-1"))

    # Then the environment value is served as STATIC
    assert (result.value, result.reason, result.variant, result.tier) == (True, Reason.STATIC, "on", None)


def test_environment_value__equal_to_false__is_still_static() -> None:
    # Given an environment value of False on a flag whose default is True
    snap = snapshot(flag(default=True, value=False))

    # When anyone asks
    result = snap.evaluate(KEY, ctx())

    # Then False is a configured value, not "no value"
    assert (result.value, result.reason) == (False, Reason.STATIC)


def test_default__when_nothing_is_configured__is_default() -> None:
    # Given a flag configured not at all in this environment
    snap = snapshot(flag(default=True))

    # When anyone asks
    result = snap.evaluate(KEY, ctx("c-1"))

    # Then the flag's default is served
    assert (result.value, result.reason, result.variant, result.tier) == (True, Reason.DEFAULT, "on", None)


@pytest.mark.parametrize(
    ("flag_type", "value"),
    [(FlagType.STRING, "blue"), (FlagType.NUMBER, 2.5), (FlagType.JSON, {"limit": [1, 2]})],
)
def test_non_boolean_values__have_no_variant(flag_type: FlagType, value: object) -> None:
    # Given a non-boolean flag with an environment value
    snap = snapshot(flag(type=flag_type, default=value, value=value))

    # When anyone asks
    result = snap.evaluate(KEY, ctx())

    # Then the value is served as is, without an on/off variant
    assert (result.value, result.reason, result.variant) == (value, Reason.STATIC, None)


def test_every_result__carries_the_snapshot_version_and_the_flag_key() -> None:
    # Given a snapshot at version 42
    snap = snapshot(flag(value=True), version=42)

    # When a flag is evaluated
    result = snap.evaluate(KEY, ctx("c-1"))

    # Then the result names its version and flag
    assert (result.version, result.key) == (42, KEY)


@pytest.mark.parametrize("status", [RolloutStatus.ACTIVE, RolloutStatus.PAUSED, RolloutStatus.COMPLETED])
def test_rollout_in_a_serving_status__decides_the_value(status: RolloutStatus) -> None:
    # Given a 10% rollout that is active, paused or completed, over an environment value of True
    snap = snapshot(flag(value=True, rollout=rollout(10, status=status, whitelist=["c-vip"])))

    # When a customer outside the 10% and a whitelisted one ask
    outside, vip = snap.evaluate(KEY, ctx(OUTSIDE_10)), snap.evaluate(KEY, ctx("c-vip"))

    # Then the rollout decides both (pausing stops progress, not exposure)
    assert (outside.value, outside.reason) == (False, Reason.SPLIT)
    assert (vip.value, vip.reason) == (True, Reason.TARGETING_MATCH)


def test_rollout_planned__does_not_serve() -> None:
    # Given a 100% rollout with a whitelist that is planned, over an environment value
    snap = snapshot(
        flag(value=False, rollout=rollout(100, status=RolloutStatus.PLANNED, whitelist=["c-vip"]))
    )

    # When a whitelisted customer, a bucketed customer and an anonymous visitor ask
    results = [snap.evaluate(KEY, ctx(customer)) for customer in ("c-vip", INSIDE_10, None)]

    # Then evaluation falls through to the environment value for all of them
    assert {(r.value, r.reason, r.tier) for r in results} == {(False, Reason.STATIC, None)}


def test_rollout_rolled_back__turns_the_flag_off_for_everyone_overrides_included() -> None:
    # Given a rolled-back rollout over an environment value of true, with overrides of true
    snap = snapshot(
        flag(
            value=True,
            rollout=rollout(100, status=RolloutStatus.ROLLED_BACK, whitelist=["c-vip"]),
            customers={"c-own": True},
            organizations={"acme": True},
        )
    )

    # When a whitelisted, an overridden, a bucketed customer, an organization and a visitor ask
    results = [
        snap.evaluate(KEY, ctx(customer, organization))
        for customer, organization in (
            ("c-vip", None),
            ("c-own", None),
            (INSIDE_10, None),
            ("c-9", "acme"),
            (None, None),
        )
    ]

    # Then nobody gets the feature, like the kill switch
    assert {(r.value, r.reason, r.tier) for r in results} == {(False, Reason.DISABLED, None)}


def test_rollout_planned__without_an_environment_value__falls_through_to_the_default() -> None:
    # Given a planned rollout and no environment value
    snap = snapshot(flag(default=True, rollout=rollout(50, status=RolloutStatus.PLANNED)))

    # When a customer asks
    result = snap.evaluate(KEY, ctx("c-1"))

    # Then the default is served
    assert (result.value, result.reason) == (True, Reason.DEFAULT)


def test_rollout_by_organization__buckets_the_whole_organization_together() -> None:
    # Given a 50% rollout bucketed on the organization id
    snap = snapshot(flag(rollout=rollout(50, stickiness="organizationId")))
    inside = customer_with_bucket(KEY, range(0, 5000), prefix="org-")
    outside = customer_with_bucket(KEY, range(5000, 10_000), prefix="org-")

    # When several customers of each organization ask
    members_in = {snap.evaluate(KEY, ctx(f"c-{i}", inside)).value for i in range(20)}
    members_out = {snap.evaluate(KEY, ctx(f"c-{i}", outside)).value for i in range(20)}

    # Then everyone in an organization gets the organization's answer
    assert (members_in, members_out) == ({True}, {False})


def test_rollout_by_attribute__buckets_on_that_attribute() -> None:
    # Given a 50% rollout bucketed on the "device" attribute
    snap = snapshot(flag(rollout=rollout(50, stickiness="device")))
    inside = customer_with_bucket(KEY, range(0, 5000), prefix="device-")
    outside = customer_with_bucket(KEY, range(5000, 10_000), prefix="device-")

    # When the same customer asks from two devices
    on = snap.evaluate(KEY, ctx("c-1", device=inside))
    off = snap.evaluate(KEY, ctx("c-1", device=outside))

    # Then the device decides
    assert (on.value, off.value) == (True, False)


def test_rollout_group_id__replaces_the_flag_key_in_the_hash() -> None:
    # Given two flags at 50% sharing the group id "checkout-wave"
    shared = rollout(50, group_id="checkout-wave")
    snap = snapshot(flag("flag_a", rollout=shared), flag("flag_b", rollout=shared))
    inside = customer_with_bucket("checkout-wave", range(0, 5000))
    outside = customer_with_bucket("checkout-wave", range(5000, 10_000))

    # When customers ask for both flags
    answers = {
        (snap.evaluate("flag_a", ctx(c)).value, snap.evaluate("flag_b", ctx(c)).value)
        for c in (inside, outside)
    }

    # Then both flags pick the same cohort, hashed on the group id
    assert answers == {(True, True), (False, False)}


def test_evaluate_all__evaluates_every_flag_in_order() -> None:
    # Given three flags decided by three different steps
    snap = snapshot(flag("a_flag", value=True), flag("b_flag", customers={"c-1": True}), flag("c_flag"))

    # When all are evaluated for c-1
    results = snap.evaluate_all(ctx("c-1"))

    # Then each has its own reason, keyed and ordered by flag key as given
    assert [(key, r.reason) for key, r in results.items()] == [
        ("a_flag", Reason.STATIC),
        ("b_flag", Reason.TARGETING_MATCH),
        ("c_flag", Reason.DEFAULT),
    ]
