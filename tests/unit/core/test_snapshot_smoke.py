"""The preset evaluates as shipped: phase 1 on, phases 2 and 3 off, with their reasons."""

from flagpilot.core import EvaluationContext, Reason, Snapshot
from flagpilot.presets import FLAG_KEYS, preset_states


def test_production_preset__phase1_on_and_later_phases_off() -> None:
    snapshot = Snapshot(preset_states("production"), environment="production", version=3)

    results = snapshot.evaluate_all(EvaluationContext(customer_id="c-1"))

    assert list(results) == list(FLAG_KEYS)
    assert {k: r.value for k, r in results.items() if k.startswith("phase1_")} == {
        "phase1_parent_storage": True,
        "phase1_cross_domain_messaging": True,
        "phase1_auto_restore": True,
    }
    assert not any(r.value for k, r in results.items() if not k.startswith("phase1_"))
    # Later phases are off by default, or because a prerequisite of theirs is off.
    assert {r.reason for r in results.values()} == {Reason.DEFAULT, Reason.DISABLED}
    assert {k for k, r in results.items() if r.reason is Reason.DISABLED} == {
        k
        for k, s in snapshot.states.items()
        if any(results[p].value is False for p in s.definition.prerequisites)
    }
    assert {r.version for r in results.values()} == {3}
