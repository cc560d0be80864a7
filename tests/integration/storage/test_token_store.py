"""API tokens live in `api_tokens`: issued, recognised, listed and revoked, each change audited."""

from __future__ import annotations

from flagpilot.services.audit import AuditLog
from flagpilot.services.auth import TokenKind
from flagpilot.services.token_cache import TokenCache
from flagpilot.services.tokens import TokenService
from flagpilot.storage import SqlUnitOfWorkFactory


def test_token__issued_recognised_and_revoked__across_service_instances(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    # Given
    issuer = TokenService(uow_factory)
    info, secret = issuer.create(TokenKind.SERVER_SDK, "acme", "production", "backend", actor="alice")
    elsewhere = TokenService(uow_factory, cache=TokenCache(found_seconds=0))

    # When
    recognised = elsewhere.authenticate(secret)
    listed = elsewhere.list(organization_id="acme")
    issuer.revoke(info.token_id, actor="bob")

    # Then
    assert recognised is not None
    assert (recognised.token_id, recognised.kind, recognised.organization_id) == (
        info.token_id,
        TokenKind.SERVER_SDK,
        "acme",
    )
    assert [t.token_id for t in listed] == [info.token_id]
    assert listed[0].hint == info.hint
    assert elsewhere.authenticate(secret) is None
    assert issuer.authenticate(secret) is None
    assert elsewhere.authenticate("fp_admin_not-a-token") is None
    audit = AuditLog(uow_factory)
    assert [(r.action, r.actor, r.subject_id) for r in audit.query(limit=2)] == [
        ("token.revoke", "bob", info.token_id),
        ("token.create", "alice", info.token_id),
    ]
    assert secret not in str([r.after_value for r in audit.query(limit=2)])
