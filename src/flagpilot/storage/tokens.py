"""API tokens in `api_tokens`: the token service's store, audited.

Every call is one unit of work; what is remembered between requests (found tokens, unknown
secrets) is the token service's `TokenCache`, not this store's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, func, select, update

from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.auth import TokenKind
from flagpilot.services.ports import UnitOfWorkFactory
from flagpilot.services.tokens import TokenInfo
from flagpilot.storage.models import ApiToken
from flagpilot.storage.uow import SqlUnitOfWork, sql_unit

TOKENS = cast(Table, ApiToken.__table__)
READER = "token-lookup"


def _info(row: Row[Any]) -> TokenInfo:
    return TokenInfo(
        token_id=row.id,
        kind=TokenKind(row.kind),
        name=row.name,
        organization_id=row.organization_id,
        environment=row.environment,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=None if row.revoked_at is None else row.revoked_at,
        hint=row.hint,
    )


def _public(token: TokenInfo) -> dict[str, Any]:
    return {
        "tokenId": token.token_id,
        "kind": token.kind.value,
        "name": token.name,
        "organizationId": token.organization_id,
        "environment": token.environment,
        "revoked": token.revoked_at is not None,
    }


class SqlTokenStore:
    """`TokenStore` over `api_tokens`, through units of work (the audit row is in the same one).

    Args:
        uow_factory: a factory of `SqlUnitOfWork`s.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    def _unit(self, actor: str, *, read_only: bool = False) -> SqlUnitOfWork:
        return sql_unit(self._uow_factory, actor, read_only=read_only, owner="SqlTokenStore")

    def add(self, token: TokenInfo, secret_hash: str, actor: str) -> None:
        """Store a new token under the hash of its secret, with its audit row."""
        with self._unit(actor) as uow:
            uow.connection.execute(
                TOKENS.insert().values(
                    id=token.token_id,
                    token_hash=secret_hash,
                    kind=token.kind.value,
                    name=token.name,
                    organization_id=token.organization_id,
                    environment=token.environment,
                    created_by=token.created_by,
                    created_at=token.created_at,
                    hint=token.hint,
                )
            )
            uow.audit.record(
                AuditEntry(
                    action="token.create", scope="token", subject_id=token.token_id, after=_public(token)
                )
            )
            uow.commit()

    def find_by_hash(self, secret_hash: str) -> TokenInfo | None:
        """The token whose secret hashes to `secret_hash`, revoked or not."""
        with self._unit(READER, read_only=True) as uow:
            row = uow.connection.execute(select(TOKENS).where(TOKENS.c.token_hash == secret_hash)).first()
        return None if row is None else _info(row)

    def hash_prefixes(self, length: int) -> set[str]:
        """The first `length` characters of every stored secret hash, in one query."""
        with self._unit(READER, read_only=True) as uow:
            return set(uow.connection.execute(select(func.substr(TOKENS.c.token_hash, 1, length))).scalars())

    def get(self, token_id: str) -> TokenInfo | None:
        """The token with this id."""
        with self._unit(READER, read_only=True) as uow:
            row = uow.connection.execute(select(TOKENS).where(TOKENS.c.id == token_id)).first()
        return None if row is None else _info(row)

    def all(self, organization_id: str | None = None) -> list[TokenInfo]:
        """Every token (of one organization, if given), oldest first."""
        statement = select(TOKENS).order_by(TOKENS.c.created_at, TOKENS.c.id)
        if organization_id is not None:
            statement = statement.where(TOKENS.c.organization_id == organization_id)
        with self._unit(READER, read_only=True) as uow:
            return [_info(row) for row in uow.connection.execute(statement)]

    def revoke(self, token_id: str, at: datetime, actor: str) -> TokenInfo | None:
        """Mark a token revoked (the first revocation time is kept), with its audit row."""
        with self._unit(actor) as uow:
            row = uow.connection.execute(select(TOKENS).where(TOKENS.c.id == token_id)).first()
            if row is None:
                return None
            before = _info(row)
            if before.revoked_at is None:
                uow.connection.execute(
                    update(TOKENS)
                    .where(TOKENS.c.id == token_id)
                    .values(revoked_at=at)
                )
                uow.audit.record(
                    AuditEntry(
                        action="token.revoke",
                        scope="token",
                        subject_id=token_id,
                        before=_public(before),
                        after={**_public(before), "revoked": True},
                    )
                )
            row = uow.connection.execute(select(TOKENS).where(TOKENS.c.id == token_id)).first()
            uow.commit()
        return None if row is None else _info(row)
