"""Errors are values: an unknown flag, a type mismatch or a missing key answer the caller's default."""

from __future__ import annotations

import pytest

from flagpilot.core import ErrorCode, FlagType, Reason
from tests.unit.builders import KEY, ctx, flag, rollout, snapshot


def test_unknown_flag__answers_the_callers_default_with_flag_not_found() -> None:
    # Given a snapshot without the flag "missing"
    snap = snapshot(flag(), version=9)

    # When a caller asks for it with a default of True
    result = snap.evaluate("missing", ctx("c-1"), default=True)

    # Then the caller's default comes back as an ERROR naming the flag
    assert (result.value, result.reason, result.error_code) == (True, Reason.ERROR, ErrorCode.FLAG_NOT_FOUND)
    assert (result.key, result.version, result.tier, result.variant) == ("missing", 9, None, None)
    assert result.is_error
    assert "missing" in (result.error_message or "")


def test_unknown_flag__without_a_callers_default__answers_none() -> None:
    # Given an empty snapshot
    snap = snapshot()

    # When a caller asks for a flag without giving a default
    result = snap.evaluate("missing", ctx("c-1"))

    # Then the value is None: there is no flag default to fall back on
    assert (result.value, result.error_code) == (None, ErrorCode.FLAG_NOT_FOUND)


def test_type_mismatch__answers_the_callers_default() -> None:
    # Given a boolean flag that is on
    snap = snapshot(flag(value=True))

    # When a caller asks for it as a string
    result = snap.evaluate(KEY, ctx("c-1"), default="fallback", expected_type=FlagType.STRING)

    # Then the caller's default comes back with TYPE_MISMATCH, naming both types
    assert (result.value, result.reason, result.error_code) == (
        "fallback",
        Reason.ERROR,
        ErrorCode.TYPE_MISMATCH,
    )
    assert "bool" in (result.error_message or "")
    assert "string" in (result.error_message or "")


def test_type_mismatch__without_a_callers_default__answers_none() -> None:
    # Given a string flag
    snap = snapshot(flag(type=FlagType.STRING, default="a"))

    # When a caller asks for a number without a default
    result = snap.evaluate(KEY, ctx(), expected_type=FlagType.NUMBER)

    # Then the flag's string default is not passed off as a number
    assert (result.value, result.error_code) == (None, ErrorCode.TYPE_MISMATCH)


def test_expected_type__matching_the_flag__evaluates_normally() -> None:
    # Given a string flag with an environment value
    snap = snapshot(flag(type=FlagType.STRING, default="a", value="b"))

    # When a caller asks for a string
    result = snap.evaluate(KEY, ctx(), default="z", expected_type=FlagType.STRING)

    # Then the value is served and the caller's default is unused
    assert (result.value, result.reason, result.error_code) == ("b", Reason.STATIC, None)


def test_partial_rollout__without_a_customer__answers_the_callers_default_with_targeting_key_missing() -> (
    None
):
    # Given a 10% rollout at tier 2
    snap = snapshot(flag(default=False, rollout=rollout(10)), version=3)

    # When an anonymous visitor asks with a default of True
    result = snap.evaluate(KEY, ctx(None), default=True)

    # Then there is nothing to bucket on: the caller's default, TARGETING_KEY_MISSING, no variant
    assert (result.value, result.reason, result.error_code) == (
        True,
        Reason.ERROR,
        ErrorCode.TARGETING_KEY_MISSING,
    )
    assert (result.variant, result.tier, result.version) == (None, None, 3)
    assert KEY in (result.error_message or "")


def test_partial_rollout__without_a_customer_or_a_callers_default__answers_the_flag_default() -> None:
    # Given a 10% rollout on a flag whose default is True
    snap = snapshot(flag(default=True, rollout=rollout(10)))

    # When an anonymous visitor asks without a default (as evaluate_all does)
    single = snap.evaluate(KEY, ctx(""))
    every = snap.evaluate_all(ctx(None))[KEY]

    # Then the flag's own default is the fallback
    assert (single.value, single.error_code) == (True, ErrorCode.TARGETING_KEY_MISSING)
    assert every == single


def test_partial_rollout_by_organization__without_an_organization__is_targeting_key_missing() -> None:
    # Given a rollout bucketed on the organization
    snap = snapshot(flag(rollout=rollout(50, stickiness="organizationId")))

    # When a customer without an organization asks
    result = snap.evaluate(KEY, ctx("c-1"), default=False)

    # Then the missing key is the organization, and the message says so
    assert result.error_code is ErrorCode.TARGETING_KEY_MISSING
    assert "organizationId" in (result.error_message or "")


def test_partial_rollout__for_an_anonymous_member_of_an_overridden_organization__needs_no_key() -> None:
    # Given a 10% rollout and an override for acme
    snap = snapshot(flag(organizations={"acme": True}, rollout=rollout(10)))

    # When an anonymous visitor of acme asks
    result = snap.evaluate(KEY, ctx(None, "acme"), default=False)

    # Then the override decides before the rollout could need a key
    assert (result.value, result.reason, result.error_code) == (True, Reason.TARGETING_MATCH, None)


def test_callers_default__is_unused_when_evaluation_succeeds() -> None:
    # Given a flag that is on
    snap = snapshot(flag(value=True))

    # When a caller asks with a default of False
    result = snap.evaluate(KEY, ctx("c-1"), default=False)

    # Then the flag's value wins
    assert (result.value, result.reason) == (True, Reason.STATIC)


def test_callers_default_of_none__is_a_default_not_an_absence() -> None:
    # Given a 10% rollout on a flag whose default is True
    snap = snapshot(flag(default=True, rollout=rollout(10)))

    # When an anonymous caller explicitly passes None as the default
    result = snap.evaluate(KEY, ctx(), default=None)

    # Then None is returned, not the flag default
    assert (result.value, result.error_code) == (None, ErrorCode.TARGETING_KEY_MISSING)


def test_master_switch_off__answers_every_flag_with_its_builtin_default() -> None:
    # Given the master switch off, over flags decided by every kind of step
    snap = snapshot(
        flag("killed", default=True, killed=True),
        flag("overridden", customers={"c-1": True}, organizations={"acme": True}),
        flag("rolled_out", rollout=rollout(100, whitelist=["c-1"])),
        flag("partial", default=True, rollout=rollout(10)),
        flag("configured", type=FlagType.STRING, default="a", value="b"),
        flags_enabled=False,
    )

    # When c-1 of acme, and an anonymous visitor, ask for everything
    results = [*snap.evaluate_all(ctx("c-1", "acme")).values(), *snap.evaluate_all(ctx()).values()]

    # Then every flag answers its built-in default with reason DEFAULT, and no error
    assert [(r.key, r.value) for r in results[:5]] == [
        ("killed", True),
        ("overridden", False),
        ("rolled_out", False),
        ("partial", True),
        ("configured", "a"),
    ]
    assert results[:5] == results[5:]
    assert {(r.reason, r.error_code, r.tier) for r in results} == {(Reason.DEFAULT, None, None)}


def test_master_switch_off__still_reports_unknown_flags_and_type_mismatches() -> None:
    # Given the master switch off
    snap = snapshot(flag(), flags_enabled=False)

    # When a caller asks for an unknown flag, and for a boolean flag as a number
    unknown = snap.evaluate("missing", ctx(), default=True)
    mismatch = snap.evaluate(KEY, ctx(), default=7, expected_type=FlagType.NUMBER)

    # Then there is no built-in default to serve: they are errors as usual
    assert (unknown.value, unknown.error_code) == (True, ErrorCode.FLAG_NOT_FOUND)
    assert (mismatch.value, mismatch.error_code) == (7, ErrorCode.TYPE_MISMATCH)


def test_snapshot__version_and_master_switch_are_read_only() -> None:
    # Given a snapshot (its results are compiled with its version and master switch)
    snap = snapshot(flag(), version=1)

    # When someone tries to change them, Then they cannot
    with pytest.raises(AttributeError):
        snap.version = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        snap.flags_enabled = False  # type: ignore[misc]
