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
    assert {r.reason for r in results.values()} == {Reason.DEFAULT}
    assert {r.version for r in results.values()} == {3}
