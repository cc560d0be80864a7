"""Step 5 (Verify Phase 1 Enabled): the widget configuration, by the plain curl and for customers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.acceptance.checklist import STEP5_EXPECTED_PHASE1, STEP5_WIDGET_PATH
from tests.acceptance.conftest import AFTER_STEP4, INTERNAL_CUSTOMER
from tests.acceptance.operator import Operator
from tests.e2e.server import ServerProcess

# One worker runs the whole module, so its database and servers are set up once.
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("acceptance_step5_widget")]


@pytest.fixture(scope="module")
def database_setup() -> list[list[str]]:
    """Steps 1 and 4: the six rollouts planned, the internal customer on their whitelists."""
    return AFTER_STEP4


def assert_phases_as_shipped(document: dict[str, Any]) -> None:
    """Phase 1 on (Step 5's expected document); every phase 2 and 3 feature off."""
    assert document["phase1"] == STEP5_EXPECTED_PHASE1
    assert set(document["phase2"].values()) == {False}
    assert set(document["phase3"].values()) == {False}


def test_step5_plain_widget_request__shows_phase1_on_and_phases_2_and_3_off(
    server: ServerProcess, operator: Operator
) -> None:
    # Given a server after Steps 1-4
    # When the checklist's plain `curl https://YOUR_DOMAIN/api/widget/config` is made, with
    # the widget's public client key in the URL and no customer
    response = httpx.get(server.url(STEP5_WIDGET_PATH), params={"key": operator.client_key})

    # Then it includes Step 5's sessionPersistence.phase1, and phases 2 and 3 are off
    assert response.status_code == 200
    assert_phases_as_shipped(response.json()["sessionPersistence"])


def test_step5_widget_for_a_customer__shows_phase1_on_and_phases_2_and_3_off(operator: Operator) -> None:
    # Given a server after Steps 1-4: the phase 2 and 3 rollouts are planned, not started
    # When the widget asks for an ordinary customer and for the whitelisted internal customer
    documents = [operator.widget("customer-42"), operator.widget(INTERNAL_CUSTOMER)]

    # Then both get phase 1 on and phases 2 and 3 off ("Phase 2 Features (Should Not Work)")
    for document in documents:
        assert_phases_as_shipped(document)
