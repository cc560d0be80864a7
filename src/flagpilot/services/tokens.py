"""API tokens: issue, list, revoke and recognise bearer secrets.

A secret is shown once, when it is created, and only its SHA-256 is stored: a leaked database
reveals no usable token. Secrets carry 256 random bits, so a plain hash (not a slow password
hash) is enough, and lookup by hash needs no constant-time comparison — an attacker cannot learn
anything about a stored hash from how fast a guess misses.

    fp_<kind>_<43 url-safe characters>      e.g. fp_client-sdk_Zx3…

The kind in the prefix makes a token recognisable in logs and secret scanners; it is not
trusted: the stored record decides what the token may do.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from flagpilot.core import Problem
from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.audit_payloads import token_payload
from flagpilot.services.auth import NOT_REMEMBERED, NotRemembered, Principal, TokenKind
from flagpilot.services.clock import Clock, utc_now
from flagpilot.services.contention import retry_on_contention
from flagpilot.services.errors import InvalidInput, StorageUnavailable, TokenNotFound
from flagpilot.services.ports import UnitOfWork, UnitOfWorkFactory
from flagpilot.services.token_cache import MISS, PREFIX_LENGTH, TokenCache

log = logging.getLogger(__name__)

SECRET_PREFIX = "fp_"
MAX_NAME_LENGTH = 200
READER = "token-lookup"
"""The actor of the token service's read-only units of work (they record nothing)."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """Everything about a token except its secret.

    Attributes:
        token_id: public id, safe to show and log.
        kind: what the token may do.
        name: what it is for, in its creator's words.
        organization_id: the organization it is confined to, or None.
        environment: the environment it is confined to, or None.
        created_at: when it was issued (UTC).
        created_by: who issued it.
        revoked_at: when it was revoked, or None while it is valid.
        hint: the first characters of the secret, to tell tokens apart without revealing them.
    """

    token_id: str
    kind: TokenKind
    name: str
    organization_id: str | None
    environment: str | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    hint: str = ""

    @property
    def active(self) -> bool:
        """Whether the token is still accepted."""
        return self.revoked_at is None

    def principal(self) -> Principal:
        """The caller this token stands for."""
        return Principal(self.token_id, self.kind, self.organization_id, self.environment)


def hash_secret(secret: str) -> str:
    """The stored form of a secret: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret(kind: TokenKind) -> str:
    """A fresh secret of `kind`: the prefix, the kind and 256 random bits."""
    return f"{SECRET_PREFIX}{kind.value}_{secrets.token_urlsafe(32)}"


MAX_PRINCIPALS = 10_000
"""Principals kept made; past that many tokens it starts again."""


class TokenService:
    """Issues and recognises API tokens; an `Authenticator` for the HTTP layer.

    Lookups go through a `TokenCache`: found tokens and unknown secrets are remembered for a few
    seconds, and known tokens keep authenticating from memory while storage is unreachable.
    `recall` (the event loop's path) never waits on storage for a token it has found before:
    once that token's few seconds are up it answers with what it knows and checks it again in a
    background thread (one check per token at a time), so a slow or hung database never holds an
    evaluation request, and a revocation elsewhere takes effect one check later.

    Creating and revoking a token are each one unit of work: the row and its audit row commit
    together, as for every other change.

    Args:
        uow_factory: opens the units of work whose `tokens` repository holds the tokens.
        clock: the current time (UTC); a parameter so tests control it.
        environment_exists: whether an environment exists, so that a token is never confined
            to a mistyped one (which would make it useless, silently); None accepts any name.
        cache: what is remembered about looked-up secrets (a fresh `TokenCache` by default).
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock = utc_now,
        environment_exists: Callable[[str], bool] | None = None,
        cache: TokenCache | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._environment_exists = environment_exists
        self._cache = TokenCache() if cache is None else cache
        self._principals: dict[str, tuple[TokenInfo, Principal]] = {}
        """The principal made for each token, with the very `TokenInfo` it was made
        from: a token read again (revoked, say) is another object and gets a principal of its own."""
        self._checking: set[str] = set()
        self._checking_lock = threading.Lock()

    @retry_on_contention
    def create(
        self,
        kind: TokenKind | str,
        organization_id: str | None,
        environment: str | None,
        name: str,
        actor: str,
    ) -> tuple[TokenInfo, str]:
        """Issue a token; the secret is returned here once and never again.

        Raises:
            InvalidInput: an unknown kind, an empty or overlong name, an empty organization id
                (which would otherwise read as "every organization"), or an unknown environment.
        """
        token_kind = _checked_kind(kind)
        _check_name(name)
        if organization_id is not None and not organization_id.strip():
            raise InvalidInput(
                "organizationId: must not be empty; leave it out for a token of every organization",
                [Problem("(token)", "organizationId", "must not be empty")],
            )
        exists = self._environment_exists
        if environment is not None and exists is not None and not exists(environment):
            raise InvalidInput(
                f"environment: {environment!r} does not exist",
                [Problem("(token)", "environment", f"{environment!r} does not exist")],
            )
        secret = new_secret(token_kind)
        return self._add(secret, token_kind, organization_id, environment, name.strip(), actor), secret

    @retry_on_contention
    def register(self, secret: str, kind: TokenKind, name: str, actor: str = "system") -> TokenInfo:
        """Accept a secret chosen by the operator (the bootstrap admin token); idempotent.

        Raises:
            InvalidInput: an empty secret.
        """
        if not secret.strip():
            raise InvalidInput("a token secret must not be empty", [Problem("(token)", "secret", "empty")])
        with self._read() as uow:
            existing = uow.tokens.find_by_hash(hash_secret(secret))
        if existing is not None:
            return existing
        return self._add(secret, kind, None, None, name, actor, hint=False)

    def list(self, organization_id: str | None = None) -> list[TokenInfo]:
        """Every token, or one organization's, without secrets."""
        with self._read() as uow:
            return uow.tokens.all(organization_id)

    def get(self, token_id: str) -> TokenInfo:
        """The token with this id.

        Raises:
            TokenNotFound: there is no token with this id.
        """
        with self._read() as uow:
            token = uow.tokens.get(token_id)
        if token is None:
            raise TokenNotFound(f"token {token_id!r} does not exist")
        return token

    @retry_on_contention
    def revoke(self, token_id: str, actor: str) -> TokenInfo:
        """Stop accepting a token from now on.

        Raises:
            TokenNotFound: there is no token with this id.
        """
        with self._uow_factory(actor) as uow:
            before = uow.tokens.get(token_id)
            if before is None:
                raise TokenNotFound(f"token {token_id!r} does not exist")
            token = before
            if before.revoked_at is None:  # the first revocation time is kept
                at = self._clock()
                token = replace(before, revoked_at=at)
                uow.tokens.set_revoked(token_id, at)
                uow.audit.record(
                    AuditEntry(
                        action="token.revoke",
                        scope="token",
                        subject_id=token_id,
                        before=token_payload(before),
                        after=token_payload(token),
                    )
                )
            uow.commit()
        self._cache.revoked(token)
        return token

    def authenticate(self, secret: str) -> Principal | None:
        """The principal of an active token with this secret, else None.

        Raises:
            StorageUnavailable: storage cannot be reached and the secret was never seen before.
        """
        if not secret:
            return None
        secret_hash = hash_secret(secret)
        token = self._cache.lookup(secret_hash)
        if token is MISS:
            known = self._cache.last_known(secret_hash)
            if known is not None and not self._cache.may_ask():
                return self._principal_of(known)  # storage failed a moment ago: do not wait on it
            try:
                token = self._look_up(secret_hash)
            except StorageUnavailable:
                if known is None:
                    raise
                token = known
        return self._principal_of(token)

    def _look_up(self, secret_hash: str) -> TokenInfo | None:
        try:
            with self._read() as uow:
                if not self._cache.knows_stored():
                    self._cache.stored(uow.tokens.hash_prefixes(PREFIX_LENGTH))
                    if self._cache.lookup(secret_hash) is None:
                        self._cache.forget(secret_hash)
                        return None  # no stored token has this hash
                token = uow.tokens.find_by_hash(secret_hash)
        except StorageUnavailable:
            self._cache.storage_failed()
            raise
        if token is None:
            self._cache.forget(secret_hash)
        else:
            self._cache.remember(secret_hash, token)
        return token

    def recall(self, secret: str) -> Principal | NotRemembered | None:
        """`authenticate` from memory only: `NOT_REMEMBERED` when storage must be asked.

        A token found before is answered from memory even when its few seconds are up; it is
        then checked again in the background.
        """
        if not secret:
            return None
        secret_hash = hash_secret(secret)
        token = self._cache.lookup(secret_hash)
        if token is MISS:
            known = self._cache.last_known(secret_hash)
            if known is None:
                return NOT_REMEMBERED
            self._check_in_background(secret_hash)
            token = known
        return self._principal_of(token)

    def _principal_of(self, token: TokenInfo | None) -> Principal | None:
        """The principal of an active token, made once per `TokenInfo`; None for none or a revoked one."""
        if token is None or token.revoked_at is not None:
            return None
        made = self._principals.get(token.token_id)
        if made is not None and made[0] is token:
            return made[1]
        if len(self._principals) >= MAX_PRINCIPALS:
            self._principals.clear()
        principal = token.principal()
        self._principals[token.token_id] = (token, principal)
        return principal

    def _check_in_background(self, secret_hash: str) -> None:
        with self._checking_lock:
            if secret_hash in self._checking or not self._cache.may_ask():
                return
            self._checking.add(secret_hash)
        threading.Thread(
            target=self._check, args=(secret_hash,), name="flagpilot-token-check", daemon=True
        ).start()

    def _check(self, secret_hash: str) -> None:
        try:
            self._look_up(secret_hash)
        except StorageUnavailable:
            pass  # the last known token stands until storage answers again
        except Exception:  # a background check must say why it failed, and not die silently
            log.exception("checking a token again failed")
        finally:
            with self._checking_lock:
                self._checking.discard(secret_hash)

    def _add(
        self,
        secret: str,
        kind: TokenKind,
        organization_id: str | None,
        environment: str | None,
        name: str,
        actor: str,
        hint: bool = True,
    ) -> TokenInfo:
        token = TokenInfo(
            token_id=f"tok_{secrets.token_hex(8)}",
            kind=kind,
            name=name,
            organization_id=organization_id or None,
            environment=environment or None,
            created_at=self._clock(),
            created_by=actor,
            # An operator-chosen secret may be short: show none of it.
            hint=secret[: len(SECRET_PREFIX) + len(kind.value) + 5] if hint else "",
        )
        secret_hash = hash_secret(secret)
        with self._uow_factory(actor) as uow:
            uow.tokens.add(token, secret_hash)
            uow.audit.record(
                AuditEntry(
                    action="token.create",
                    scope="token",
                    subject_id=token.token_id,
                    after=token_payload(token),
                )
            )
            uow.commit()
        self._cache.issued(secret_hash)
        return token

    def _read(self) -> UnitOfWork:
        return self._uow_factory(READER, read_only=True)


def _checked_kind(kind: TokenKind | str) -> TokenKind:
    try:
        return TokenKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in TokenKind)
        raise InvalidInput(
            f"unknown token kind {kind!r}", [Problem("(token)", "kind", f"must be one of {allowed}")]
        ) from None


def _check_name(name: str) -> None:
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            "a token needs a name", [Problem("(token)", "name", f"must be 1 to {MAX_NAME_LENGTH} characters")]
        )
