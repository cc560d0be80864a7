"""Tokens in a dict, for service and API tests (the SQL repository is
`flagpilot.storage.repositories.tokens`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType

from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.tokens import TokenInfo
from tests.fakes.rollouts import AuditRow


class InMemoryTokenStore:
    """The token table and the audit trail in a dict; a unit-of-work factory whose units see it
    as `uow.tokens`, so `TokenService` over it behaves as over SQL.

    Changes are applied as they are made: a token write is one statement, and the service
    commits right after it.
    """

    def __init__(self) -> None:
        self._by_hash: dict[str, str] = {}
        self._tokens: dict[str, TokenInfo] = {}
        self.audit_rows: list[AuditRow] = []

    def __call__(
        self, actor: str, organization_id: str | None = None, *, read_only: bool = False
    ) -> TokenUnitOfWork:
        """A unit of work over this store, acting as `actor`."""
        return TokenUnitOfWork(self, actor, organization_id)

    def add(self, token: TokenInfo, secret_hash: str) -> None:
        """Store `token` under `secret_hash`."""
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

    def set_revoked(self, token_id: str, at: datetime) -> None:
        """Store `at` as the token's revocation time."""
        self._tokens[token_id] = replace(self._tokens[token_id], revoked_at=at)


@dataclass
class TokenUnitOfWork:
    """A unit of work over an `InMemoryTokenStore`: its tokens and its audit trail."""

    store: InMemoryTokenStore
    actor: str
    organization_id: str | None = None
    committed: bool = field(default=False, init=False)

    @property
    def tokens(self) -> InMemoryTokenStore:
        """The token table."""
        return self.store

    @property
    def audit(self) -> TokenUnitOfWork:
        """The audit trail (this unit of work records into the store's `audit_rows`)."""
        return self

    def record(self, entry: AuditEntry) -> None:
        """Append an audit row with this unit of work's actor."""
        self.store.audit_rows.append(AuditRow(self.actor, entry))

    def commit(self) -> None:
        """Nothing is staged: changes were applied as they were made."""
        self.committed = True

    def rollback(self) -> None:
        """Nothing to discard (see `InMemoryTokenStore`)."""

    def __enter__(self) -> TokenUnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None
