"""The rollback rule's settings come from the environment, defaults where unset, bad values named."""

from __future__ import annotations

import pytest

from flagpilot.services.rollouts import DEFAULT_ABSOLUTE, DEFAULT_ATTRIBUTION, rule_from_environ


def test_rule_from_environ__without_variables__is_the_simulated_defaults() -> None:
    rule = rule_from_environ({})

    assert (rule.absolute, rule.attribution) == (DEFAULT_ABSOLUTE, DEFAULT_ATTRIBUTION)


def test_rule_from_environ__reads_alpha_and_alternatives_of_both_detectors() -> None:
    rule = rule_from_environ(
        {
            "FLAGPILOT_ROLLBACK_ALPHA": "0.01",
            "FLAGPILOT_ROLLBACK_TIER_ALTERNATIVE": "1.4",
            "FLAGPILOT_ROLLBACK_CHANGE_ALTERNATIVES": "2, 5",
            "FLAGPILOT_ROLLBACK_ATTRIBUTION_ALPHA": "0.001",
        }
    )

    assert (rule.absolute.alpha, rule.absolute.tier_ratio, rule.absolute.change_ratios) == (
        0.01,
        1.4,
        (2.0, 5.0),
    )
    assert rule.attribution.alpha == 0.001
    assert rule.attribution.change_ratios == DEFAULT_ATTRIBUTION.change_ratios


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("FLAGPILOT_ROLLBACK_ALPHA", "often", "FLAGPILOT_ROLLBACK_ALPHA"),
        ("FLAGPILOT_ROLLBACK_ALPHA", "1.5", "alpha"),
        ("FLAGPILOT_ROLLBACK_CHANGE_ALTERNATIVES", "2,,3", "FLAGPILOT_ROLLBACK_CHANGE_ALTERNATIVES"),
        ("FLAGPILOT_ROLLBACK_ATTRIBUTION_TIER_ALTERNATIVE", "0.9", "ATTRIBUTION"),
        ("FLAGPILOT_ROLLBACK_TIER_ALTERNATIVE", "inf", "FLAGPILOT_ROLLBACK_TIER_ALTERNATIVE"),
    ],
)
def test_rule_from_environ__a_bad_value__is_refused_naming_it(name: str, value: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        rule_from_environ({name: value})
