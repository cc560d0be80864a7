"""Overrides: one at a time or ten thousand in one call, validated, paged and audited."""

from __future__ import annotations

import json

import pytest

from flagpilot.services.audit import AuditLog
from flagpilot.services.errors import InvalidInput, PermissionDenied
from flagpilot.services.flags import FlagManager
from flagpilot.services.stored_records import OverrideScope

CUSTOMER = OverrideScope.CUSTOMER
ORGANIZATION = OverrideScope.ORGANIZATION


def test_set_override__single__is_stored_and_audited_with_before_and_after(
    manager: FlagManager, audit_log: AuditLog
) -> None:
    # When
    first = manager.set_override(
        "checkout", "production", CUSTOMER, "c-1", True, actor="alice", reason="pilot"
    )
    manager.set_override("checkout", "production", CUSTOMER, "c-1", False, actor="bob")

    # Then
    assert (first.subject_id, first.value, first.reason, first.created_by) == ("c-1", True, "pilot", "alice")
    rows = audit_log.query(feature_name="checkout", limit=2)
    assert [(r.action, r.scope, r.subject_id) for r in rows] == [("override.set", "customer", "c-1")] * 2
    assert (rows[0].before_value, rows[0].after_value) == ('{"value":true}', '{"value":false}')
    assert manager.get_flag("checkout").environments["production"].customer_overrides == 1


def test_set_overrides__ten_thousand_customers__one_call_one_audit_row_with_the_count(
    manager: FlagManager, audit_log: AuditLog
) -> None:
    # Given
    values = {f"customer-{i:05}": True for i in range(10_000)}
    before = len(audit_log.query(limit=1000))

    # When
    stored = manager.set_overrides("checkout", "production", CUSTOMER, values, actor="alice", reason="beta")

    # Then
    assert stored == 10_000
    view = manager.get_flag("checkout")
    assert view.environments["production"].customer_overrides == 10_000
    rows = audit_log.query(limit=1000)
    assert len(rows) == before + 1
    assert rows[0].action == "override.set_many"
    assert json.loads(str(rows[0].after_value))["count"] == 10_000


def test_set_overrides__one_bad_value__writes_nothing_and_names_the_subject(manager: FlagManager) -> None:
    with pytest.raises(InvalidInput) as raised:
        manager.set_overrides("checkout", "production", CUSTOMER, {"c-1": True, "c-2": "yes"}, actor="alice")

    assert [(p.flag, p.field) for p in raised.value.problems] == [("checkout", "customerOverrides[c-2]")]
    assert manager.get_flag("checkout").environments["production"].customer_overrides == 0


def test_set_override__blank_subject__is_refused(manager: FlagManager) -> None:
    with pytest.raises(InvalidInput, match="customerId"):
        manager.set_override("checkout", "production", CUSTOMER, " ", True, actor="alice")


def test_list_overrides__pages_through_every_override_in_order(manager: FlagManager) -> None:
    # Given
    manager.set_overrides(
        "checkout", "staging", CUSTOMER, {f"c{i:02}": True for i in range(7)}, actor="alice"
    )
    manager.set_overrides("checkout", "production", CUSTOMER, {"a": False}, actor="alice")

    # When
    seen = []
    cursor = None
    while True:
        page = manager.list_overrides("checkout", CUSTOMER, cursor=cursor, limit=3)
        seen += [(o.environment, o.subject_id) for o in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    # Then
    assert seen == [("production", "a")] + [("staging", f"c{i:02}") for i in range(7)]


def test_list_overrides__with_a_forged_cursor__is_invalid_input(manager: FlagManager) -> None:
    with pytest.raises(InvalidInput, match="cursor"):
        manager.list_overrides("checkout", CUSTOMER, cursor="not-a-cursor")


def test_clear_overrides__some_then_all__removes_them_and_audits_each_call(
    manager: FlagManager, audit_log: AuditLog
) -> None:
    # Given
    manager.set_overrides(
        "checkout", "production", ORGANIZATION, {"o1": True, "o2": True, "o3": True}, actor="a"
    )

    # When
    one = manager.clear_override("checkout", "production", ORGANIZATION, "o1", actor="bob")
    missing = manager.clear_override("checkout", "production", ORGANIZATION, "o1", actor="bob")
    rest = manager.clear_overrides("checkout", "production", ORGANIZATION, None, actor="bob")

    # Then
    assert (one, missing, rest) == (True, False, 2)
    assert [r.action for r in audit_log.query(actor="bob")] == ["override.clear_many", "override.clear"]


def test_organization_scoped_call__overriding_another_organization__is_permission_denied(
    manager: FlagManager,
) -> None:
    with pytest.raises(PermissionDenied):
        manager.set_override(
            "checkout", "production", ORGANIZATION, "other", True, actor="t", organization_id="mine"
        )


def test_organization_scoped_call__sets_customer_overrides_of_its_own_organization(
    manager: FlagManager,
) -> None:
    manager.set_override("checkout", "production", CUSTOMER, "c-1", True, actor="t", organization_id="mine")

    page = manager.list_overrides("checkout", CUSTOMER, organization_id="mine")

    assert [(o.subject_id, o.organization_id) for o in page.items] == [("c-1", "mine")]


def test_organization_scoped_calls__never_see_or_take_over_another_organizations_overrides(
    manager: FlagManager,
) -> None:
    # Given: customer overrides of two organizations and one of none
    manager.set_override(
        "checkout", "production", CUSTOMER, "theirs", True, actor="t", organization_id="other"
    )
    manager.set_override("checkout", "production", CUSTOMER, "mine", True, actor="t", organization_id="mine")
    manager.set_override("checkout", "production", CUSTOMER, "nobody", True, actor="admin")

    # When
    visible = manager.list_overrides("checkout", CUSTOMER, organization_id="mine")
    cleared = manager.clear_overrides(
        "checkout", "production", CUSTOMER, None, actor="t", organization_id="mine"
    )

    # Then
    assert [o.subject_id for o in visible.items] == ["mine"]
    assert cleared == 1
    for subject in ("theirs", "nobody"):
        with pytest.raises(PermissionDenied):
            manager.set_override(
                "checkout", "production", CUSTOMER, subject, False, actor="t", organization_id="mine"
            )
    remaining = manager.list_overrides("checkout", CUSTOMER)
    assert [(o.subject_id, o.value) for o in remaining.items] == [("nobody", True), ("theirs", True)]
