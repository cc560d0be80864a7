"""Customer overrides on the read side: a customer id is global, but an override recorded in an
organization is that organization's. A key confined to org-a that names org-b's customer is
served what anyone in org-a would be served, on every evaluation route, and never learns org-b's
value; the snapshot download, which holds every organization's overrides, is refused to it."""

from __future__ import annotations

import httpx
import pytest

from tests.security.conftest import Tenancy

FLAG = "phase2_enhanced_storage"
B_CUSTOMER = "customer-of-org-b"


@pytest.fixture(scope="module")
def keys(tenancy: Tenancy) -> dict[str, str]:
    server = tenancy.server
    return {
        "client_a": server.issue("client-sdk", organization_id="org-a"),
        "server_a": server.issue("server-sdk", organization_id="org-a"),
        "client_b": server.issue("client-sdk", organization_id="org-b"),
    }


def _widget_storage(tenancy: Tenancy, key: str, **params: str) -> bool:
    answer = httpx.get(
        tenancy.server.url("/api/widget/config"), params={"key": key, "customerId": B_CUSTOMER, **params}
    )
    assert answer.status_code == 200, answer.text
    enabled: bool = answer.json()["sessionPersistence"]["phase2"]["enhancedStorage"]
    return enabled


def _ofrep_single(tenancy: Tenancy, key: str, context: dict[str, str]) -> object:
    answer = httpx.post(
        tenancy.server.url(f"/ofrep/v1/evaluate/flags/{FLAG}"),
        json={"context": context},
        headers=tenancy.headers(key),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _ofrep_bulk(tenancy: Tenancy, key: str, context: dict[str, str]) -> object:
    answer = httpx.post(
        tenancy.server.url("/ofrep/v1/evaluate/flags"),
        json={"context": context},
        headers=tenancy.headers(key),
    )
    assert answer.status_code == 200, answer.text
    return next(flag for flag in answer.json()["flags"] if flag["key"] == FLAG)


def test_customer_override_scope__the_owning_organization_is_served_its_override(
    tenancy: Tenancy, keys: dict[str, str]
) -> None:
    assert _widget_storage(tenancy, keys["client_b"]) is True
    context = {"targetingKey": B_CUSTOMER}
    assert _ofrep_single(tenancy, keys["client_b"], context) == _ofrep_bulk(
        tenancy, keys["client_b"], context
    )
    assert _ofrep_bulk(tenancy, keys["client_b"], context)["value"] is True  # type: ignore[index]


def test_customer_override_scope__an_org_a_widget_key_naming_org_bs_customer_gets_org_as_answer(
    tenancy: Tenancy, keys: dict[str, str]
) -> None:
    assert _widget_storage(tenancy, keys["client_a"]) is False
    assert _widget_storage(tenancy, keys["client_a"], organizationId="org-a") is False


@pytest.mark.parametrize("kind", ["client_a", "server_a"])
def test_customer_override_scope__org_a_ofrep_naming_org_bs_customer_gets_org_as_answer(
    tenancy: Tenancy, keys: dict[str, str], kind: str
) -> None:
    anyone_in_a = _ofrep_single(tenancy, keys[kind], {"targetingKey": "someone-in-org-a"})
    for context in ({"targetingKey": B_CUSTOMER}, {"targetingKey": B_CUSTOMER, "organizationId": "org-a"}):
        single = _ofrep_single(tenancy, keys[kind], context)
        bulk = _ofrep_bulk(tenancy, keys[kind], context)
        assert single == bulk == anyone_in_a
        assert single["value"] is False  # type: ignore[index]
        assert "TARGETING_MATCH" not in str(single)


def test_customer_override_scope__an_unconfined_key_naming_another_organization_gets_no_override(
    tenancy: Tenancy,
) -> None:
    named_b = _ofrep_single(
        tenancy, tenancy.server_sdk, {"targetingKey": B_CUSTOMER, "organizationId": "org-b"}
    )
    named_none = _ofrep_single(tenancy, tenancy.server_sdk, {"targetingKey": B_CUSTOMER})
    named_a = _ofrep_single(
        tenancy, tenancy.server_sdk, {"targetingKey": B_CUSTOMER, "organizationId": "org-a"}
    )
    assert named_b["value"] is True  # type: ignore[index]
    assert named_none["value"] is True  # type: ignore[index]  # one customer id is one customer
    assert named_a["value"] is False  # type: ignore[index]


@pytest.mark.parametrize("path", ["/api/sdk/snapshot", "/api/sdk/stream"])
def test_customer_override_scope__an_org_confined_key_never_downloads_other_organizations_overrides(
    tenancy: Tenancy, keys: dict[str, str], path: str
) -> None:
    answer = httpx.get(tenancy.server.url(path), headers=tenancy.headers(keys["server_a"]), timeout=10)
    assert answer.status_code == 403
    assert B_CUSTOMER not in answer.text
    assert "org-b" not in answer.text
