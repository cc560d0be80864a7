"""What the audit trail and the export document contain is theirs: pinned here key by key, and
unchanged when the HTTP API's JSON changes.

An audit row is hashed into the chain and an export is read back by later versions, so neither
may follow a rename of an HTTP field. Each has its own serialiser; these tests fail if one of
them starts sharing the API's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from flagpilot.api import serialisers
from flagpilot.core import FlagDefinition, FlagType, RolloutStatus, Tier
from flagpilot.services.audit_payloads import cohorts_payload, flag_payload, rollout_payload, setting_payload
from flagpilot.services.flags import FlagManager
from flagpilot.services.rollouts import CohortPair, CohortStats, RolloutRecord
from flagpilot.services.stored_records import EnvironmentRecord, FlagRecord, FlagSetting
from flagpilot.services.transfer.document import Contents, write_document
from tests.fakes.flags import InMemoryStore

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FLAG = FlagRecord(
    FlagDefinition(key="checkout", type=FlagType.BOOL, default=False, phase=2, description="New checkout"),
    version=3,
    created_at=AT,
    updated_at=AT,
)
SETTING = FlagSetting("checkout", "production", killed=True, value=True)
ROLLOUT = RolloutRecord(
    feature_name="checkout",
    environment="production",
    current_tier=Tier.TIER_1_INTERNAL,
    percentage=1.0,
    status=RolloutStatus.ACTIVE,
    whitelisted_customers=("c-1",),
    tier_started_at=AT,
    version=4,
    created_by="alice",
    created_at=AT,
    updated_at=AT,
)
FLAG_KEYS = ["key", "type", "defaultValue", "phase", "description", "prerequisites", "archived"]
ROLLOUT_KEYS = [
    "featureName", "environment", "currentTier", "percentage", "status", "whitelistedCustomers",
    "rollbackThreshold", "minDwellSeconds", "minEvents", "tierStartedAt", "rollbackReason",
]  # fmt: skip


def test_audit_payloads__have_exactly_the_pinned_keys_and_values() -> None:
    assert flag_payload(FLAG) == {
        "key": "checkout",
        "type": "bool",
        "defaultValue": False,
        "phase": 2,
        "description": "New checkout",
        "prerequisites": [],
        "archived": False,
    }
    assert setting_payload(SETTING) == {"killed": True, "value": True}
    assert setting_payload(None) == {"killed": False}
    payload = rollout_payload(ROLLOUT)
    assert list(payload) == [*ROLLOUT_KEYS, "version", "createdBy", "createdAt", "updatedAt"]
    assert payload["rollbackThreshold"] == {"errorRate": 0.05, "timeWindow": 3_600_000}
    assert (payload["currentTier"], payload["tierStartedAt"]) == ("tier_1_internal", AT.isoformat())
    evidence_counts = cohorts_payload(CohortPair(treatment=CohortStats(9, 1)))
    assert list(evidence_counts) == ["treatment", "control", "whitelisted"]
    assert evidence_counts["treatment"] == {
        "exposures": 10, "successes": 9, "errors": 1, "errorRate": 0.1, "successRate": 0.9
    }  # fmt: skip


def test_export_document__has_exactly_the_pinned_keys() -> None:
    contents = Contents([EnvironmentRecord("production")], [FLAG], [SETTING], rollouts=[ROLLOUT])

    document = write_document(contents)

    assert list(document) == [
        "formatVersion", "kind", "environments", "flags",
        "customerOverrides", "organizationOverrides", "rollouts",
    ]  # fmt: skip
    assert list(document["flags"][0]) == [*FLAG_KEYS, "environments"]
    assert document["flags"][0]["environments"] == {"production": {"killed": True, "value": True}}
    assert list(document["rollouts"][0]) == [*ROLLOUT_KEYS, "createdBy"]
    assert "exposures" in cohorts_payload(CohortPair())["treatment"]


def _renamed(serialiser: Any) -> Any:
    def rename(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return {f"http_{key}": value for key, value in serialiser(*args, **kwargs).items()}

    return rename


def test_renaming_every_http_field__changes_neither_the_audit_rows_nor_the_export(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given: every serialiser of the HTTP API renames all its fields
    renamed = ("definition_json", "setting_json", "flag_json", "rollout_json", "override_json", "cohort_json")
    for name in renamed:
        monkeypatch.setattr(serialisers, name, _renamed(getattr(serialisers, name)))
    store = InMemoryStore()
    manager = FlagManager(store)
    manager.create_environment("production", actor="alice")

    # When
    manager.create_flag(FlagDefinition(key="checkout"), actor="alice")
    manager.kill("checkout", "production", actor="alice", reason="incident")

    # Then
    created, killed = (row.entry for row in store.audit_rows[1:])
    assert list(created.after or {}) == FLAG_KEYS
    assert (killed.before, killed.after) == ({"killed": False}, {"killed": True})
    document = write_document(Contents(flags=[FLAG], rollouts=[ROLLOUT]))
    assert list(document["flags"][0]) == [*FLAG_KEYS, "environments"]
    assert list(document["rollouts"][0]) == [*ROLLOUT_KEYS, "createdBy"]
    assert "exposures" in cohorts_payload(CohortPair())["treatment"]
