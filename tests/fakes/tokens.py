"""A token store in a dict, for service and API tests (the SQL store is `flagpilot.storage.tokens`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flagpilot.services.tokens import TokenInfo


class InMemoryTokenStore:
    """A token store in a dict; `TokenService` over it behaves as over the SQL store."""

    def __init__(self) -> None:
        self._by_hash: dict[str, str] = {}
        self._tokens: dict[str, TokenInfo] = {}

    def add(self, token: TokenInfo, secret_hash: str, actor: str) -> None:
        """Store `token`; the actor is only recorded by audited stores."""
        self._tokens[token.token_id] = token
        self._by_hash[secret_hash] = token.token_id

    def find_by_hash(self, secret_hash: str) -> TokenInfo | None:
        """The token stored under `secret_hash`."""
        token_id = self._by_hash.get(secret_hash)
        return None if token_id is None else self._tokens[token_id]

    def hash_prefixes(self, length: int) -> set[str]:
        """The first `length` characters of every stored hash."""
        return {secret_hash[:length] for secret_hash in self._by_hash}

    def get(self, token_id: str) -> TokenInfo | None:
        """The token with this id."""
        return self._tokens.get(token_id)

    def all(self, organization_id: str | None = None) -> list[TokenInfo]:
        """Every token (of one organization, if given), in the order they were added."""
        return [
            t
            for t in self._tokens.values()
            if organization_id is None or t.organization_id == organization_id
        ]

    def revoke(self, token_id: str, at: datetime, actor: str) -> TokenInfo | None:
        """Mark `token_id` revoked at `at` (the first revocation time is kept)."""
        token = self._tokens.get(token_id)
        if token is None:
            return None
        if token.revoked_at is None:
            token = self._tokens[token_id] = replace(token, revoked_at=at)
        return token
