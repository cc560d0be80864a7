"""TokenService: secrets shown once, stored hashed, recognised until revoked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flagpilot.services.auth import Principal, TokenKind
from flagpilot.services.errors import InvalidInput, TokenNotFound
from flagpilot.services.tokens import TokenService, hash_secret
from tests.fakes.tokens import InMemoryTokenStore

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store() -> InMemoryTokenStore:
    return InMemoryTokenStore()


@pytest.fixture
def service(store: InMemoryTokenStore) -> TokenService:
    return TokenService(store, clock=lambda: NOW)


def test_create__gives_a_prefixed_secret_and_stores_only_its_hash(
    service: TokenService, store: InMemoryTokenStore
) -> None:
    info, secret = service.create("server-sdk", "org-a", "staging", "checkout service", "alice")

    assert secret.startswith("fp_server-sdk_")
    assert len(secret) > 50
    assert store.find_by_hash(hash_secret(secret)) == info
    assert secret not in repr(store.all())
    assert (info.kind, info.organization_id, info.environment, info.created_by, info.created_at) == (
        TokenKind.SERVER_SDK,
        "org-a",
        "staging",
        "alice",
        NOW,
    )


def test_authenticate__known_secret__is_its_principal(service: TokenService) -> None:
    info, secret = service.create(TokenKind.CLIENT_SDK, None, "production", "widget", "alice")

    assert service.authenticate(secret) == Principal(info.token_id, TokenKind.CLIENT_SDK, None, "production")


@pytest.mark.parametrize("secret", ["", "fp_admin_guess", "anything"])
def test_authenticate__unknown_secret__is_nobody(service: TokenService, secret: str) -> None:
    assert service.authenticate(secret) is None


def test_revoke__secret_is_no_longer_accepted(service: TokenService) -> None:
    info, secret = service.create(TokenKind.ADMIN, None, None, "ops", "alice")

    revoked = service.revoke(info.token_id, "bob")

    assert revoked.revoked_at == NOW
    assert not revoked.active
    assert service.authenticate(secret) is None


def test_revoke__unknown_token__raises_not_found(service: TokenService) -> None:
    with pytest.raises(TokenNotFound):
        service.revoke("tok_missing", "bob")


def test_create__unknown_kind_or_empty_name__is_invalid_input_naming_the_field(service: TokenService) -> None:
    with pytest.raises(InvalidInput) as bad_kind:
        service.create("wizard", None, None, "x", "alice")
    with pytest.raises(InvalidInput) as bad_name:
        service.create(TokenKind.VIEWER, None, None, "  ", "alice")

    assert bad_kind.value.problems[0].field == "kind"
    assert bad_name.value.problems[0].field == "name"


def test_register__operator_secret__is_accepted_once_and_reveals_nothing(service: TokenService) -> None:
    first = service.register("s3cret-bootstrap", TokenKind.ADMIN, "bootstrap")
    again = service.register("s3cret-bootstrap", TokenKind.ADMIN, "bootstrap")

    assert first == again
    assert first.hint == ""
    assert len(service.list()) == 1
    assert service.authenticate("s3cret-bootstrap") == first.principal()


def test_list__by_organization__shows_only_its_tokens(service: TokenService) -> None:
    service.create(TokenKind.VIEWER, "org-a", None, "a", "alice")
    service.create(TokenKind.VIEWER, "org-b", None, "b", "alice")

    assert [t.name for t in service.list("org-a")] == ["a"]
    assert len(service.list()) == 2


def test_create_and_revoke__the_service_records_one_audit_row_each_in_the_same_unit_of_work(
    service: TokenService, store: InMemoryTokenStore
) -> None:
    # Given
    info, secret = service.create(TokenKind.VIEWER, "org-a", None, "dashboards", "alice")

    # When
    service.revoke(info.token_id, "bob")
    service.revoke(info.token_id, "carol")  # already revoked: no second row, the first time kept

    # Then
    assert [(row.actor, row.entry.action, row.entry.subject_id) for row in store.audit_rows] == [
        ("alice", "token.create", info.token_id),
        ("bob", "token.revoke", info.token_id),
    ]
    created, revoked = (row.entry for row in store.audit_rows)
    assert created.after == {
        "tokenId": info.token_id,
        "kind": "viewer",
        "name": "dashboards",
        "organizationId": "org-a",
        "environment": None,
        "revoked": False,
    }
    assert revoked.before == created.after
    assert revoked.after == {**created.after, "revoked": True}
    assert secret not in repr(store.audit_rows)
    assert service.get(info.token_id).revoked_at == NOW
