"""People who sign in to the admin UI: accounts with argon2 passwords, sessions, login throttling.

A user has a role — admin, editor or viewer — that is a `TokenKind`, so a signed-in user becomes
a `Principal` and every action is allowed or refused by the very checks the API applies to
tokens. Passwords are stored only as argon2id hashes (argon2-cffi's defaults, re-hashed on
login when the parameters change). A session is a 256-bit random secret kept in an HttpOnly
cookie; only its SHA-256 is stored, with the session's CSRF token and its expiry, so sessions
survive a restart and are shared by every replica.

Failed logins are counted per login name in a `LoginFailureStore` (the database, in a server:
the same count on every replica and across restarts): after `MAX_FAILURES` within
`FAILURE_WINDOW` the name is refused for the rest of the window, whatever the password, which
makes guessing slow without a way for strangers to lock a real user out for long. The store
forgets failures older than the window, so it stays bounded by what one window can hold.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from flagpilot.core import Problem
from flagpilot.services.auth import Principal, TokenKind
from flagpilot.services.clock import utc_now
from flagpilot.services.contention import retry_on_contention
from flagpilot.services.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    StorageUnavailable,
    Unauthenticated,
)

ROLES = (TokenKind.ADMIN, TokenKind.EDITOR, TokenKind.VIEWER)
LOGIN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
SESSION_LIFETIME = timedelta(hours=12)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=5)
MAX_REMEMBERED = 10_000
MAX_LOGIN_STORED = 320


class UserNotFound(NotFound):
    """No user has this login."""


class TooManyAttempts(PermissionDenied):
    """Login refused because of recent failures; `retry_after` seconds until it is accepted."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user without the password hash."""

    id: int
    login: str
    display_name: str
    role: TokenKind
    disabled: bool
    created_at: datetime

    @property
    def actor(self) -> str:
        """How the audit trail names the user's changes."""
        return f"user:{self.login}"

    def principal(self) -> Principal:
        """The caller the user stands for: its role is checked like a token's kind."""
        return Principal(token_id=self.actor, kind=self.role)


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: who, its CSRF token, until when."""

    user: UserRecord
    csrf_token: str
    expires_at: datetime


class UserStore(Protocol):
    """Where users and sessions live; changes to users write their audit row in the same transaction."""

    def add(
        self, login: str, display_name: str, password_hash: str, role: TokenKind, actor: str
    ) -> UserRecord:
        """Store a new user; `AlreadyExists` if the login is taken."""
        ...

    def find(self, login: str) -> tuple[UserRecord, str] | None:
        """The user and its password hash, or None."""
        ...

    def all(self) -> list[UserRecord]:
        """Every user, by login."""
        ...

    def update(
        self,
        login: str,
        actor: str,
        *,
        disabled: bool | None = None,
        password_hash: str | None = None,
        role: TokenKind | None = None,
    ) -> UserRecord | None:
        """Change a user (ending its sessions when disabled or given a new password); None if unknown."""
        ...

    def add_session(self, session_hash: str, user_id: int, csrf_token: str, expires_at: datetime) -> None:
        """Store a new session."""
        ...

    def find_session(self, session_hash: str) -> Session | None:
        """The session stored under `session_hash` (expired or not), with its user."""
        ...

    def delete_session(self, session_hash: str) -> None:
        """Forget a session."""
        ...


def hash_session(secret: str) -> str:
    """The stored form of a session secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_login(login: str) -> str:
    """The login name if it is well-formed; `InvalidInput` naming the field otherwise."""
    if not LOGIN_PATTERN.match(login):
        raise InvalidInput(
            f"login {login!r} is not a valid user name",
            [Problem(login, "login", "1-128 letters, digits and . _ @ + -, starting with a letter or digit")],
        )
    return login


def check_password(password: str) -> str:
    """The password if it is long enough; `InvalidInput` naming the field otherwise."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            [Problem("(user)", "password", f"must have at least {MIN_PASSWORD_LENGTH} characters")],
        )
    return password


def check_role(role: TokenKind | str) -> TokenKind:
    """The role as a `TokenKind`: admin, editor or viewer only."""
    try:
        kind = TokenKind(role)
    except ValueError:
        kind = None
    if kind is None or kind not in ROLES:
        raise InvalidInput(
            f"unknown role {role!r}", [Problem("(user)", "role", "must be admin, editor or viewer")]
        )
    return kind


class LoginFailureStore(Protocol):
    """Recent failed sign-ins per login name, shared by whoever throttles them."""

    def recent(self, login: str, since: datetime) -> list[datetime]:
        """When `login` failed at or after `since`, oldest first."""
        ...

    def add(self, login: str, at: datetime, forget_before: datetime) -> None:
        """Count one failure of `login` at `at`, and forget every failure before `forget_before`."""
        ...

    def clear(self, login: str) -> None:
        """Forget the failures of `login`."""
        ...


class MemoryLoginFailures:
    """`LoginFailureStore` in this process only (a user service without a database, tests)."""

    def __init__(self) -> None:
        self._failures: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()

    def recent(self, login: str, since: datetime) -> list[datetime]:
        with self._lock:
            return [moment for moment in self._failures.get(login, []) if moment >= since]

    def add(self, login: str, at: datetime, forget_before: datetime) -> None:
        with self._lock:
            self._failures = {
                name: kept
                for name, moments in self._failures.items()
                if (kept := [moment for moment in moments if moment >= forget_before])
            }
            self._failures.setdefault(login, []).append(at)

    def clear(self, login: str) -> None:
        with self._lock:
            self._failures.pop(login, None)


class LoginThrottle:
    """Refuses a login name with too many recent failures, counted in a `LoginFailureStore`."""

    def __init__(self, clock: Callable[[], datetime], store: LoginFailureStore) -> None:
        self._clock = clock
        self._store = store

    def check(self, login: str) -> None:
        """Raise `TooManyAttempts` if `login` failed too often within the window."""
        now = self._clock()
        recent = self._store.recent(login[:MAX_LOGIN_STORED], now - FAILURE_WINDOW)
        if len(recent) >= MAX_FAILURES:
            wait = recent[-MAX_FAILURES] + FAILURE_WINDOW - now
            raise TooManyAttempts(
                "too many failed sign-ins for this user; try again later",
                retry_after=max(1, int(wait.total_seconds()) + 1),
            )

    def failed(self, login: str) -> None:
        """Count one failed login of `login`."""
        now = self._clock()
        self._store.add(login[:MAX_LOGIN_STORED], now, now - FAILURE_WINDOW)

    def succeeded(self, login: str) -> None:
        """Forget the failures of `login`."""
        self._store.clear(login[:MAX_LOGIN_STORED])


class UserService:
    """Creates users, signs them in and recognises their sessions.

    Args:
        store: where users and sessions live.
        clock: the current time (UTC).
        hasher: the argon2 password hasher (its parameters decide the cost of a login).
        failures: where failed sign-ins are counted (this process only when not given).
    """

    def __init__(
        self,
        store: UserStore,
        clock: Callable[[], datetime] = utc_now,
        hasher: PasswordHasher | None = None,
        failures: LoginFailureStore | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._throttle = LoginThrottle(clock, failures or MemoryLoginFailures())
        self._decoy: str | None = None
        self._seen: dict[str, Session] = {}

    @retry_on_contention
    def create(
        self, login: str, password: str, role: TokenKind | str, *, actor: str, display_name: str = ""
    ) -> UserRecord:
        """A new user; `InvalidInput` names a bad login, password or role, `AlreadyExists` a taken login."""
        check_login(login)
        kind = check_role(role)
        digest = self._hasher.hash(check_password(password))
        return self._store.add(login, display_name.strip()[:200] or login, digest, kind, actor)

    def list(self) -> list[UserRecord]:
        """Every user, by login."""
        return self._store.all()

    def disable(self, login: str, *, actor: str) -> UserRecord:
        """Refuse the user's sign-ins from now on and end its sessions."""
        return self._update(login, actor, disabled=True)

    def enable(self, login: str, *, actor: str) -> UserRecord:
        """Accept the user's sign-ins again."""
        return self._update(login, actor, disabled=False)

    def set_password(self, login: str, password: str, *, actor: str) -> UserRecord:
        """Give the user a new password and end its sessions."""
        return self._update(login, actor, password_hash=self._hasher.hash(check_password(password)))

    def set_role(self, login: str, role: TokenKind | str, *, actor: str) -> UserRecord:
        """Change what the user may do."""
        return self._update(login, actor, role=check_role(role))

    @retry_on_contention
    def login(self, login: str, password: str) -> tuple[Session, str]:
        """Check a password and open a session; returns it with its secret (for the cookie).

        Raises:
            TooManyAttempts: too many recent failures for this login name.
            Unauthenticated: unknown login, wrong password or disabled user (one message for all).
        """
        self._throttle.check(login)
        found = self._store.find(login) if LOGIN_PATTERN.match(login) else None
        if found is None:
            # Verifying against a decoy costs what a real check costs, so response times do not
            # tell which names exist.
            self._decoy = self._decoy or self._hasher.hash(secrets.token_urlsafe(16))
            self._verify(self._decoy, password)
            return self._refuse(login)
        user, digest = found
        if not self._verify(digest, password) or user.disabled:
            return self._refuse(login)
        self._throttle.succeeded(login)
        if self._hasher.check_needs_rehash(digest):
            self._store.update(login, user.actor, password_hash=self._hasher.hash(password))
        secret = secrets.token_urlsafe(32)
        session = Session(user, secrets.token_urlsafe(32), self._clock() + SESSION_LIFETIME)
        self._store.add_session(hash_session(secret), user.id, session.csrf_token, session.expires_at)
        return session, secret

    def session(self, secret: str) -> Session | None:
        """The live session of a cookie's secret, or None (unknown, expired, or user disabled).

        While the database is unreachable, a session this process has seen is still recognised
        until it expires, so signed-in users keep reading pages served from the last good
        snapshot; writes fail anyway, and a revocation made meanwhile applies once it is back.
        """
        if not secret:
            return None
        digest = hash_session(secret)
        try:
            session = self._store.find_session(digest)
        except StorageUnavailable:
            session = self._seen.get(digest)
            if session is None:
                raise
        if session is None or session.user.disabled or session.expires_at <= self._clock():
            self._seen.pop(digest, None)
            return None
        if len(self._seen) >= MAX_REMEMBERED:
            self._seen.clear()
        self._seen[digest] = session
        return session

    @retry_on_contention
    def logout(self, secret: str) -> None:
        """End the session of a cookie's secret (nothing happens for an unknown one)."""
        if secret:
            self._seen.pop(hash_session(secret), None)
            self._store.delete_session(hash_session(secret))

    def _verify(self, digest: str, password: str) -> bool:
        try:
            return self._hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return False

    def _refuse(self, login: str) -> tuple[Session, str]:
        self._throttle.failed(login)
        raise Unauthenticated("wrong user name or password")

    @retry_on_contention
    def _update(
        self,
        login: str,
        actor: str,
        *,
        disabled: bool | None = None,
        password_hash: str | None = None,
        role: TokenKind | None = None,
    ) -> UserRecord:
        user = self._store.update(login, actor, disabled=disabled, password_hash=password_hash, role=role)
        if user is None:
            raise UserNotFound(f"user {login!r} does not exist")
        self._seen = {digest: seen for digest, seen in self._seen.items() if seen.user.login != login}
        return user
