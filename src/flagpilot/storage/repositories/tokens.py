"""`api_tokens`: issued tokens, stored under the hash of their secret.

The repository only stores rows; the token service decides what to write and records the audit
row through the same unit of work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, func, select, update

from flagpilot.services.auth import TokenKind
from flagpilot.services.tokens import TokenInfo
from flagpilot.storage.models import ApiToken

TOKENS = cast(Table, ApiToken.__table__)


def _info(row: Row[Any]) -> TokenInfo:
    return TokenInfo(
        token_id=row.id,
        kind=TokenKind(row.kind),
        name=row.name,
        organization_id=row.organization_id,
        environment=row.environment,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
        hint=row.hint,
    )


class SqlTokenRepository:
    """`TokenRepository` over `api_tokens`, on one unit of work's connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, token: TokenInfo, secret_hash: str) -> None:
        """Store a new token under the hash of its secret."""
        self._connection.execute(
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

    def find_by_hash(self, secret_hash: str) -> TokenInfo | None:
        """The token whose secret hashes to `secret_hash`, revoked or not."""
        row = self._connection.execute(select(TOKENS).where(TOKENS.c.token_hash == secret_hash)).first()
        return None if row is None else _info(row)

    def hash_prefixes(self, length: int) -> set[str]:
        """The first `length` characters of every stored secret hash, in one query."""
        return set(self._connection.execute(select(func.substr(TOKENS.c.token_hash, 1, length))).scalars())

    def get(self, token_id: str) -> TokenInfo | None:
        """The token with this id."""
        row = self._connection.execute(select(TOKENS).where(TOKENS.c.id == token_id)).first()
        return None if row is None else _info(row)

    def all(self, organization_id: str | None = None) -> list[TokenInfo]:
        """Every token (of one organization, if given), oldest first."""
        statement = select(TOKENS).order_by(TOKENS.c.created_at, TOKENS.c.id)
        if organization_id is not None:
            statement = statement.where(TOKENS.c.organization_id == organization_id)
        return [_info(row) for row in self._connection.execute(statement)]

    def set_revoked(self, token_id: str, at: datetime) -> None:
        """Store `at` as the token's revocation time."""
        self._connection.execute(update(TOKENS).where(TOKENS.c.id == token_id).values(revoked_at=at))
