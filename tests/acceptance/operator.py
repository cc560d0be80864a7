"""What an operator does to a running server over HTTP: the admin API, the widget, polling for a change."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from tests.acceptance.checklist import STEP5_WIDGET_PATH
from tests.e2e.server import ServerProcess

ROLLOUT = "/api/admin/rollout"
FEATURE = "phase2_enhanced_storage"
POLL_SECONDS = 0.02


class Operator:
    """One server seen by an operator: admin calls with the bootstrap token, the widget with a client key."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.base_url, timeout=10)
        self.admin_headers = {"Authorization": f"Bearer {server.admin_token}"}
        self._client_key: str | None = None

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    @property
    def client_key(self) -> str:
        """A client-SDK key of this server (the widget's embed key), issued on first use."""
        if self._client_key is None:
            self._client_key = self.server.issue("client-sdk")
        return self._client_key

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST `body` as JSON with the admin token."""
        return self.http.post(path, json=body, headers=self.admin_headers)

    def get(self, path: str, **params: str) -> httpx.Response:
        """GET with the admin token."""
        return self.http.get(path, params=params, headers=self.admin_headers)

    def rollout(self, verb: str, feature: str = FEATURE, **fields: Any) -> dict[str, Any]:
        """`POST /api/admin/rollout/<verb>`; the rollout it answers (fails the test on an error).

        An advance names the tier it advances from, as an operator's screen shows it.
        """
        if verb == "advance" and "fromTier" not in fields and "version" not in fields:
            fields["fromTier"] = self.get(f"{ROLLOUT}/{feature}").json()["currentTier"]
        response = self.post(f"{ROLLOUT}/{verb}", {"featureName": feature, **fields})
        assert response.status_code == 200, f"{verb} {feature}: {response.status_code} {response.text}"
        answer: dict[str, Any] = response.json()
        return answer

    def widget(self, customer_id: str | None = None) -> dict[str, Any]:
        """`GET /api/widget/config?key=…[&customerId=…]`: the document's sessionPersistence."""
        params = {"key": self.client_key}
        if customer_id is not None:
            params["customerId"] = customer_id
        response = self.http.get(STEP5_WIDGET_PATH, params=params)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()["sessionPersistence"]
        return document

    def has_enhanced_storage(self, customer_id: str) -> bool:
        """Whether the widget turns phase 2's enhanced storage on for `customer_id`."""
        return bool(self.widget(customer_id)["phase2"]["enhancedStorage"])

    def cohort_with_feature(self, customers: Iterable[str]) -> set[str]:
        """The customers of `customers` whose widget has enhanced storage on."""
        return {customer for customer in customers if self.has_enhanced_storage(customer)}


def seconds_until(condition: Callable[[], bool], deadline_seconds: float) -> float | None:
    """Poll `condition` until it holds; the seconds it took, or None if it did not within the deadline."""
    started = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > deadline_seconds:
            return None
        time.sleep(POLL_SECONDS)
