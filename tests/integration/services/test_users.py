"""Admin UI users and sessions over each database: argon2 passwords, sessions, throttling, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select

from flagpilot.services.audit import AuditLog
from flagpilot.services.auth import TokenKind
from flagpilot.services.errors import AlreadyExists, InvalidInput, Unauthenticated
from flagpilot.services.users import MAX_FAILURES, SESSION_LIFETIME, TooManyAttempts, UserService
from flagpilot.storage import SqlUnitOfWorkFactory, build_engine
from flagpilot.storage.models import LoginFailure
from flagpilot.storage.shared_state import SqlLoginFailures
from flagpilot.storage.users import SqlUserStore

PASSWORD = "correct horse battery"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


# Cheap argon2 parameters: the suite checks behaviour, not the cost of guessing.
HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def replica(engine: Engine, clock: Clock) -> UserService:
    """A user service as a server process builds it: users, sessions and failures in the database."""
    return UserService(
        SqlUserStore(SqlUnitOfWorkFactory(engine)),
        clock=clock,
        hasher=HASHER,
        failures=SqlLoginFailures(engine),
    )


@pytest.fixture
def users(engine: Engine, clock: Clock) -> UserService:
    service = replica(engine, clock)
    service.create("alice", PASSWORD, "editor", actor="setup")
    return service


def test_login__opens_a_session_that_stands_for_the_user_and_its_role(users: UserService) -> None:
    session, secret = users.login("alice", PASSWORD)
    found = users.session(secret)
    assert found is not None
    assert found.user.login == "alice"
    assert found.csrf_token == session.csrf_token
    assert found.user.principal().kind is TokenKind.EDITOR
    assert found.user.actor == "user:alice"


def test_password__is_stored_as_an_argon2id_hash(
    uow_factory: SqlUnitOfWorkFactory, users: UserService
) -> None:
    found = SqlUserStore(uow_factory).find("alice")
    assert found is not None
    assert found[1].startswith("$argon2id$")
    assert PASSWORD not in found[1]


def test_wrong_password_and_unknown_user__get_the_same_refusal(users: UserService) -> None:
    with pytest.raises(Unauthenticated) as wrong:
        users.login("alice", "not the password")
    with pytest.raises(Unauthenticated) as unknown:
        users.login("nobody", PASSWORD)
    assert wrong.value.detail == unknown.value.detail


def test_repeated_failures__lock_the_name_for_the_window_only(users: UserService, clock: Clock) -> None:
    for _ in range(MAX_FAILURES):
        with pytest.raises(Unauthenticated):
            users.login("alice", "guess")
    with pytest.raises(TooManyAttempts) as refused:
        users.login("alice", PASSWORD)
    assert refused.value.retry_after > 0
    clock.now += timedelta(minutes=6)
    assert users.login("alice", PASSWORD)[0].user.login == "alice"


def test_failures__on_two_replicas__add_up_and_lock_the_name_on_both(
    database_url: str, users: UserService, clock: Clock
) -> None:
    # Given a second replica: its own engine and services on the same database
    other_engine = build_engine(database_url)
    try:
        other = replica(other_engine, clock)

        # When the failures alternate between the two replicas
        for attempt in range(MAX_FAILURES):
            with pytest.raises(Unauthenticated):
                (users if attempt % 2 else other).login("alice", "guess")

        # Then both refuse the name, even with the right password, until the window has passed
        for service in (users, other):
            with pytest.raises(TooManyAttempts):
                service.login("alice", PASSWORD)
        clock.now += timedelta(minutes=6)
        assert other.login("alice", PASSWORD)[0].user.login == "alice"
    finally:
        other_engine.dispose()


def test_failures__older_than_the_window__are_deleted(
    engine: Engine, users: UserService, clock: Clock
) -> None:
    # Given failures of many names, long ago
    for n in range(20):
        with pytest.raises(Unauthenticated):
            users.login(f"guess-{n}", "guess")
    clock.now += timedelta(minutes=6)

    # When one more sign-in fails
    with pytest.raises(Unauthenticated):
        users.login("alice", "guess")

    # Then only that failure is kept: the table holds one window of failures at most
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(LoginFailure)).scalar_one() == 1


def test_session__expires_and_ends_on_logout(users: UserService, clock: Clock) -> None:
    _, first = users.login("alice", PASSWORD)
    _, second = users.login("alice", PASSWORD)
    users.logout(first)
    assert users.session(first) is None
    assert users.session(second) is not None
    clock.now += SESSION_LIFETIME + timedelta(seconds=1)
    assert users.session(second) is None


def test_disable_and_new_password__end_every_session(users: UserService) -> None:
    _, secret = users.login("alice", PASSWORD)
    users.set_password("alice", "another long password", actor="admin")
    assert users.session(secret) is None
    _, secret = users.login("alice", "another long password")
    users.disable("alice", actor="admin")
    assert users.session(secret) is None
    with pytest.raises(Unauthenticated):
        users.login("alice", "another long password")


def test_bad_input__names_the_field(users: UserService) -> None:
    with pytest.raises(InvalidInput) as short:
        users.create("bob", "short", "viewer", actor="setup")
    assert short.value.problems[0].field == "password"
    with pytest.raises(InvalidInput) as role:
        users.create("bob", PASSWORD, "server-sdk", actor="setup")
    assert role.value.problems[0].field == "role"
    with pytest.raises(InvalidInput) as login:
        users.create("<b>", PASSWORD, "viewer", actor="setup")
    assert login.value.problems[0].field == "login"
    with pytest.raises(AlreadyExists):
        users.create("alice", PASSWORD, "viewer", actor="setup")


def test_user_changes__are_audited_without_the_hash(
    uow_factory: SqlUnitOfWorkFactory, users: UserService
) -> None:
    users.disable("alice", actor="admin")
    rows = AuditLog(uow_factory).query(limit=10)
    actions = [(row.action, row.subject_id, row.actor) for row in rows]
    assert ("user.update", "alice", "admin") in actions
    assert ("user.create", "alice", "setup") in actions
    assert all("argon2" not in (row.after_value or "") for row in rows)
