"""Step 4 (Initialize Rollout Configurations): the six createRollout calls, by CLI and by HTTP.

Either way, Step 4's verification query then shows six rollouts at `tier_0_disabled`, 0,
`planned`, with the calls' whitelist and the first one's 5% / one-hour threshold.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.acceptance.checklist import INTERNAL_CUSTOMER_PLACEHOLDER, STEP4_CREATE_ROLLOUTS
from tests.acceptance.conftest import INTERNAL_CUSTOMER, assert_step4_rollouts, flagpilot, scratch_database
from tests.acceptance.operator import ROLLOUT, Operator

# One worker runs the whole module, so its database and servers are set up once.
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("acceptance_step4_rollouts")]


def substituted(body: dict[str, Any]) -> dict[str, Any]:
    """A checklist body with YOUR_INTERNAL_CUSTOMER_ID replaced by the internal customer."""
    text = json.dumps(body).replace(INTERNAL_CUSTOMER_PLACEHOLDER, INTERNAL_CUSTOMER)
    replaced: dict[str, Any] = json.loads(text)
    return replaced


def test_step4_through_the_cli__init_preset_creates_the_six_planned_rollouts(
    postgres_server_url: str,
) -> None:
    with scratch_database(postgres_server_url, [["init"]]) as database:
        # Given a database set up by `flagpilot init`
        # When the operator makes the six createRollout calls with the preset command
        flagpilot(database, "rollout", "init-preset", "--internal-customer", INTERNAL_CUSTOMER)

        # Then Step 4's verification query shows them as the checklist expects
        assert_step4_rollouts(database)


def test_step4_through_the_api__the_six_create_rollout_bodies_give_the_six_planned_rollouts(
    operator: Operator, checklist_database: str
) -> None:
    # Given a server on a database set up by `flagpilot init`
    # When the operator sends Step 4's six createRollout calls as written
    statuses = [operator.post(ROLLOUT, substituted(body)).status_code for body in STEP4_CREATE_ROLLOUTS]

    # Then each is created, and Step 4's verification query shows them as the checklist expects
    assert statuses == [201] * len(STEP4_CREATE_ROLLOUTS)
    assert_step4_rollouts(checklist_database)
