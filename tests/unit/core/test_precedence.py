"""The seven steps in order: the most specific source that applies wins, and only it."""

from __future__ import annotations

import pytest

from flagpilot.core import Reason, Tier
from tests.unit.builders import INSIDE_10, KEY, OUTSIDE_10, ctx, flag, rollout, snapshot


def test_kill_switch__beats_every_override_whitelist_and_rollout() -> None:
    # Given a killed flag that would otherwise be on for c-vip by every other step
    snap = snapshot(
        flag(
            killed=True,
            value=True,
            customers={"c-vip": True},
            organizations={"acme": True},
            rollout=rollout(100, whitelist=["c-vip"]),
        )
    )

    # When c-vip of acme asks
    result = snap.evaluate(KEY, ctx("c-vip", "acme"))

    # Then the kill switch wins
    assert (result.value, result.reason) == (False, Reason.DISABLED)


def test_customer_override__beats_the_organization_override() -> None:
    # Given acme is turned on, but customer c-1 of acme is turned off
    snap = snapshot(flag(customers={"c-1": False}, organizations={"acme": True}))

    # When c-1 and a colleague ask
    mine, colleague = snap.evaluate(KEY, ctx("c-1", "acme")), snap.evaluate(KEY, ctx("c-2", "acme"))

    # Then the customer's own override wins for c-1 only
    assert (mine.value, mine.reason) == (False, Reason.TARGETING_MATCH)
    assert (colleague.value, colleague.reason) == (True, Reason.TARGETING_MATCH)


def test_customer_override__beats_the_rollout() -> None:
    # Given a 100% rollout, and an override turning c-1 off
    snap = snapshot(flag(customers={"c-1": False}, rollout=rollout(100, whitelist=["c-1"])))

    # When c-1 asks
    result = snap.evaluate(KEY, ctx("c-1"))

    # Then the override wins, with no tier (the rollout did not decide)
    assert (result.value, result.reason, result.tier) == (False, Reason.TARGETING_MATCH, None)


@pytest.mark.parametrize("percentage", [0, 10, 100])
def test_organization_override__beats_the_rollout_whitelist(percentage: float) -> None:
    # Given c-vip on the whitelist of a rollout at 0%, 10% or 100%, and c-vip's organization turned off
    snap = snapshot(flag(organizations={"acme": False}, rollout=rollout(percentage, whitelist=["c-vip"])))

    # When c-vip asks as a member of acme, and as a member of another organization
    in_acme = snap.evaluate(KEY, ctx("c-vip", "acme"))
    elsewhere = snap.evaluate(KEY, ctx("c-vip", "globex"))

    # Then acme's override wins; elsewhere the whitelist applies
    assert (in_acme.value, in_acme.reason, in_acme.tier) == (False, Reason.TARGETING_MATCH, None)
    assert (elsewhere.value, elsewhere.reason, elsewhere.tier) == (
        True,
        Reason.TARGETING_MATCH,
        Tier.TIER_2_EARLY_ADOPTERS,
    )


def test_organization_override__beats_the_rollout_bucket() -> None:
    # Given a 10% rollout and acme turned on
    snap = snapshot(flag(organizations={"acme": True}, rollout=rollout(10)))

    # When a customer outside the 10% asks as a member of acme
    result = snap.evaluate(KEY, ctx(OUTSIDE_10, "acme"))

    # Then acme's override wins
    assert (result.value, result.reason) == (True, Reason.TARGETING_MATCH)


def test_rollout_whitelist__beats_the_bucket() -> None:
    # Given a 10% rollout whose whitelist holds a customer bucketed outside it
    snap = snapshot(flag(rollout=rollout(10, whitelist=[OUTSIDE_10])))

    # When that customer asks
    result = snap.evaluate(KEY, ctx(OUTSIDE_10))

    # Then the whitelist puts them in
    assert (result.value, result.reason) == (True, Reason.TARGETING_MATCH)


def test_rollout__beats_the_environment_value_both_ways() -> None:
    # Given a 10% rollout over an environment value of True
    snap = snapshot(flag(value=True, rollout=rollout(10)))

    # When customers inside and outside the 10% ask
    inside, outside = snap.evaluate(KEY, ctx(INSIDE_10)), snap.evaluate(KEY, ctx(OUTSIDE_10))

    # Then the rollout decides for both: the environment value does not leak through
    assert (inside.value, inside.reason) == (True, Reason.SPLIT)
    assert (outside.value, outside.reason) == (False, Reason.SPLIT)


def test_environment_value__beats_the_default() -> None:
    # Given a default of True and an environment value of False
    snap = snapshot(flag(default=True, value=False))

    # When anyone asks
    result = snap.evaluate(KEY, ctx("c-1"))

    # Then the environment value wins
    assert (result.value, result.reason) == (False, Reason.STATIC)


def test_overrides__for_someone_else__do_not_apply() -> None:
    # Given overrides and a whitelist for other customers and organizations
    snap = snapshot(
        flag(
            value=True,
            customers={"c-other": False},
            organizations={"other-org": False},
            rollout=rollout(100, whitelist=["c-other"]),
        )
    )

    # When c-1 of acme asks
    result = snap.evaluate(KEY, ctx("c-1", "acme"))

    # Then the 100% rollout decides
    assert (result.value, result.reason) == (True, Reason.SPLIT)


def test_empty_ids__are_anonymous_and_match_no_override() -> None:
    # Given overrides and a whitelist keyed by the empty string, over a 100% rollout
    snap = snapshot(
        flag(customers={"": False}, organizations={"": False}, rollout=rollout(100, whitelist=[""]))
    )

    # When a visitor with empty ids asks
    result = snap.evaluate(KEY, ctx("", ""))

    # Then no override applies: an empty id is no id
    assert (result.value, result.reason) == (True, Reason.SPLIT)
