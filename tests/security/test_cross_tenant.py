"""Cross-tenant access by id: a token confined to org-a cannot read, change or learn of org-b's
objects by naming them, and its errors look exactly like those for objects that do not exist."""

from __future__ import annotations

import httpx

from tests.security.conftest import Tenancy

FLAG = "phase2_enhanced_storage"
B_CUSTOMER = "customer-of-org-b"


def _tokens(tenancy: Tenancy) -> list[dict[str, str]]:
    answer = httpx.get(tenancy.server.url("/api/admin/tokens"), headers=tenancy.headers(tenancy.admin))
    assert answer.status_code == 200
    items = answer.json()
    return list(items["items"] if isinstance(items, dict) else items)


def test_cross_tenant__revoking_another_tenants_token_by_id__is_a_404_like_an_unknown_id(
    tenancy: Tenancy,
) -> None:
    b_token = next(token for token in _tokens(tenancy) if token.get("organizationId") == "org-b")
    theirs = httpx.delete(
        tenancy.server.url(f"/api/admin/tokens/{b_token['tokenId']}"),
        headers=tenancy.headers(tenancy.admin_a),
    )
    unknown = httpx.delete(
        tenancy.server.url("/api/admin/tokens/tok_0000000000000000"),
        headers=tenancy.headers(tenancy.admin_a),
    )
    assert theirs.status_code == unknown.status_code
    assert theirs.status_code == 404
    assert "org-b" not in theirs.text
    still = [token for token in _tokens(tenancy) if token["tokenId"] == b_token["tokenId"]]
    assert still[0].get("revokedAt") in (None, "")


def test_cross_tenant__listing_tokens__shows_only_the_own_organization(tenancy: Tenancy) -> None:
    answer = httpx.get(tenancy.server.url("/api/admin/tokens"), headers=tenancy.headers(tenancy.admin_a))
    assert answer.status_code == 200
    assert "org-b" not in answer.text


def test_cross_tenant__reading_overrides__never_shows_another_tenants_customers(tenancy: Tenancy) -> None:
    for query in ({}, {"scope": "customer"}, {"scope": "organization"}):
        answer = httpx.get(
            tenancy.server.url(f"/api/admin/flags/{FLAG}/overrides"),
            params=query,
            headers=tenancy.headers(tenancy.viewer_a),
        )
        assert answer.status_code == 200, answer.text
        assert "org-b" not in answer.text
        assert B_CUSTOMER not in answer.text


def test_cross_tenant__deleting_another_tenants_customer_override_by_id__changes_nothing(
    tenancy: Tenancy,
) -> None:
    path = f"/api/admin/flags/{FLAG}/overrides/customer/{B_CUSTOMER}"
    theirs = httpx.delete(tenancy.server.url(path), headers=tenancy.headers(tenancy.editor_a))
    unknown = httpx.delete(
        tenancy.server.url(f"/api/admin/flags/{FLAG}/overrides/customer/nobody"),
        headers=tenancy.headers(tenancy.editor_a),
    )
    assert theirs.status_code == unknown.status_code, (theirs.text, unknown.text)
    assert theirs.status_code >= 400
    assert theirs.text.replace(B_CUSTOMER, "nobody") == unknown.text  # reveals nothing more
    kept = httpx.get(
        tenancy.server.url(f"/api/admin/flags/{FLAG}/overrides"),
        params={"scope": "customer"},
        headers=tenancy.headers(tenancy.admin),
    )
    assert B_CUSTOMER in kept.text


def test_cross_tenant__setting_another_tenants_customer__cannot_change_what_that_customer_is_served(
    tenancy: Tenancy,
) -> None:
    # org-a's editor names org-b's customer, with and without an organization
    for body in (
        {"featureName": FLAG, "customerId": B_CUSTOMER, "enabled": False},
        {"featureName": FLAG, "customerId": B_CUSTOMER, "organizationId": "org-b", "enabled": False},
    ):
        httpx.post(
            tenancy.server.url("/api/admin/feature-flags"),
            json=body,
            headers=tenancy.headers(tenancy.editor_a),
        )
    served = httpx.post(
        tenancy.server.url(f"/ofrep/v1/evaluate/flags/{FLAG}"),
        json={"context": {"targetingKey": B_CUSTOMER, "organizationId": "org-b"}},
        headers=tenancy.headers(tenancy.server_sdk),
    )
    assert served.status_code == 200
    assert served.json()["value"] is True
    # and org-b can still change and remove its own override
    changed = httpx.post(
        tenancy.server.url("/api/admin/feature-flags"),
        json={"featureName": FLAG, "customerId": B_CUSTOMER, "organizationId": "org-b", "enabled": True},
        headers=tenancy.headers(tenancy.editor_b),
    )
    assert changed.status_code == 200, changed.text


def test_cross_tenant__an_org_confined_editor_cannot_poison_other_tenants_with_a_deep_value(
    tenancy: Tenancy,
) -> None:
    deep: object = True
    for _ in range(300):
        deep = [deep]
    answer = httpx.put(
        tenancy.server.url("/api/admin/flags/phase2_enhanced_storage/overrides"),
        json={"scope": "customer", "values": {"customer-of-org-a": deep}},
        headers=tenancy.headers(tenancy.editor_a),
    )
    assert 400 <= answer.status_code < 500
    snapshot = httpx.get(tenancy.server.url("/api/sdk/snapshot"), headers=tenancy.headers(tenancy.server_sdk))
    assert snapshot.status_code == 200
