"""The checklist's Emergency Procedures, with two servers on one database as in production.

2. Via API: the checklist's rollback body. 3. Via Database: the checklist's UPDATE, run by a
plain client; both servers stop serving the feature within a second, with no restart and no
5-minute wait, and the audit trail records the change with actor `database`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.acceptance.checklist import EMERGENCY_API_BODY, EMERGENCY_API_PATH, EMERGENCY_SQL
from tests.acceptance.conftest import AFTER_STEP4, INTERNAL_CUSTOMER, replica, sql
from tests.acceptance.operator import FEATURE, ROLLOUT, Operator, seconds_until

# One worker runs the whole module, so its database and servers are set up once.
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("acceptance_emergency_procedures")]

PROPAGATION_SECONDS = 1.0
REASON = "acceptance: rehearse the emergency procedure"


@pytest.fixture(scope="module")
def database_setup() -> list[list[str]]:
    """Steps 1 and 4: the six rollouts planned."""
    return AFTER_STEP4


@pytest.fixture(scope="module")
def other(checklist_database: str) -> Iterator[Operator]:
    """A second replica on the same database."""
    with replica(checklist_database) as calls:
        yield calls


def serving_early_adopters(operator: Operator, other: Operator) -> str:
    """Put the feature at tier 2 (10%); a customer both replicas serve it to."""
    if operator.get(f"{ROLLOUT}/{FEATURE}").json()["status"] == "rolled_back":
        operator.rollout("restart", reason=REASON)
    operator.rollout("start")
    operator.rollout("advance", force=True, reason=REASON)
    customer = next(c for c in (f"customer-{n}" for n in range(200)) if operator.has_enhanced_storage(c))
    assert seconds_until(lambda: other.has_enhanced_storage(customer), PROPAGATION_SECONDS) is not None
    return customer


def database_audit_rows(database_url: str) -> list[tuple[str, str | None]]:
    """The feature's audit rows written by the triggers for hand-written SQL: (action, after)."""
    rows = sql(
        database_url,
        "SELECT action, after_value FROM feature_flag_changes "
        "WHERE actor = 'database' AND feature_name = %s ORDER BY id",
        (FEATURE,),
    )
    return [(str(action), after) for action, after in rows]


def test_emergency_api_rollback__the_checklists_body_turns_the_feature_off_on_both_servers(
    operator: Operator, other: Operator
) -> None:
    # Given the feature at 10%, served to a customer by both replicas
    customer = serving_early_adopters(operator, other)

    # When the operator posts the checklist's rollback call
    response = operator.post(EMERGENCY_API_PATH, EMERGENCY_API_BODY)

    # Then the rollout is rolled back with the reason, off at once on the replica that wrote it
    # and within a second on the other
    assert response.status_code == 200, response.text
    rolled_back = response.json()
    assert (rolled_back["currentTier"], rolled_back["percentage"], rolled_back["status"]) == (
        "tier_0_disabled",
        0,
        "rolled_back",
    )
    assert rolled_back["rollbackReason"] == EMERGENCY_API_BODY["reason"]
    assert not operator.has_enhanced_storage(customer)
    assert not operator.has_enhanced_storage(INTERNAL_CUSTOMER)
    assert seconds_until(lambda: not other.has_enhanced_storage(customer), PROPAGATION_SECONDS) is not None


def test_emergency_sql__both_servers_stop_serving_within_a_second_and_the_trail_records_it(
    checklist_database: str, operator: Operator, other: Operator
) -> None:
    # Given the feature at 10%, served to a customer by both replicas
    customer = serving_early_adopters(operator, other)
    audited_before = database_audit_rows(checklist_database)
    processes = (operator.server.process, other.server.process)

    # When an operator runs the checklist's emergency UPDATE from a plain database client
    sql(checklist_database, EMERGENCY_SQL)

    # Then both replicas stop serving the feature within a second, without a restart
    elapsed = seconds_until(
        lambda: not operator.has_enhanced_storage(customer) and not other.has_enhanced_storage(customer),
        PROPAGATION_SECONDS,
    )
    assert elapsed is not None, "a replica still serves the feature a second after the UPDATE"
    assert [process.poll() for process in processes] == [None, None]
    assert (operator.server.process, other.server.process) == processes

    # And the audit trail has exactly one new row for it, by actor `database`, showing the
    # rolled-back state; the application's own start and advance were not mistaken for SQL
    audited = database_audit_rows(checklist_database)
    assert audited[: len(audited_before)] == audited_before
    assert len(audited) == len(audited_before) + 1
    _action, after = audited[-1]
    assert after is not None
    assert json.loads(after)["status"] == "rolled_back"

    # And the admin API's audit trail shows the same change, newest first
    trail = operator.get("/api/admin/audit", actor="database", flag=FEATURE)
    assert trail.status_code == 200, trail.text
    newest = trail.json()["items"][0]
    assert (newest["actor"], newest["flag"], newest["after"]["status"]) == (
        "database",
        FEATURE,
        "rolled_back",
    )
