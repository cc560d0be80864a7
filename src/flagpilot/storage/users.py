"""Admin UI users in `users` and their sessions in `ui_sessions`: the user service's store.

Every change to a user writes its audit row (scope `user`, never the password hash) in the same
unit of work; disabling a user or changing its password deletes its sessions in that same
transaction, so a stolen cookie dies with the old password.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, delete, select, update

from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.auth import TokenKind
from flagpilot.services.clock import utc
from flagpilot.services.errors import AlreadyExists
from flagpilot.services.ports import UnitOfWorkFactory
from flagpilot.services.users import Session, UserRecord
from flagpilot.storage.models import UiSession, User
from flagpilot.storage.uow import SqlUnitOfWork, sql_unit

USERS = cast(Table, User.__table__)
SESSIONS = cast(Table, UiSession.__table__)
READER = "user-lookup"


def _user(row: Row[Any]) -> UserRecord:
    return UserRecord(
        id=row.id,
        login=row.email,
        display_name=row.display_name,
        role=TokenKind(row.role),
        disabled=bool(row.disabled),
        created_at=utc(row.created_at),
    )


def _public(user: UserRecord) -> dict[str, Any]:
    return {
        "login": user.login,
        "displayName": user.display_name,
        "role": user.role.value,
        "disabled": user.disabled,
    }


class SqlUserStore:
    """`UserStore` over `users` and `ui_sessions`, through units of work.

    Args:
        uow_factory: a factory of `SqlUnitOfWork`s.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    def _unit(self, actor: str, *, read_only: bool = False) -> SqlUnitOfWork:
        return sql_unit(self._uow_factory, actor, read_only=read_only, owner="SqlUserStore")

    def add(
        self, login: str, display_name: str, password_hash: str, role: TokenKind, actor: str
    ) -> UserRecord:
        """Store a new user with its audit row; `AlreadyExists` if the login is taken."""
        with self._unit(actor) as uow:
            if uow.connection.execute(select(USERS.c.id).where(USERS.c.email == login)).first() is not None:
                raise AlreadyExists(f"user {login!r} already exists")
            uow.connection.execute(
                USERS.insert().values(
                    email=login,
                    display_name=display_name,
                    password_hash=password_hash,
                    role=role.value,
                    disabled=False,
                )
            )
            row = uow.connection.execute(select(USERS).where(USERS.c.email == login)).one()
            user = _user(row)
            uow.audit.record(
                AuditEntry(action="user.create", scope="user", subject_id=login, after=_public(user))
            )
            uow.commit()
        return user

    def find(self, login: str) -> tuple[UserRecord, str] | None:
        """The user and its password hash."""
        with self._unit(READER, read_only=True) as uow:
            row = uow.connection.execute(select(USERS).where(USERS.c.email == login)).first()
        return None if row is None else (_user(row), row.password_hash)

    def all(self) -> list[UserRecord]:
        """Every user, by login."""
        with self._unit(READER, read_only=True) as uow:
            return [_user(row) for row in uow.connection.execute(select(USERS).order_by(USERS.c.email))]

    def update(
        self,
        login: str,
        actor: str,
        *,
        disabled: bool | None = None,
        password_hash: str | None = None,
        role: TokenKind | None = None,
    ) -> UserRecord | None:
        """Change a user with its audit row; end its sessions when disabled or re-passworded."""
        values: dict[str, Any] = {}
        if disabled is not None:
            values["disabled"] = disabled
        if password_hash is not None:
            values["password_hash"] = password_hash
        if role is not None:
            values["role"] = role.value
        with self._unit(actor) as uow:
            row = uow.connection.execute(select(USERS).where(USERS.c.email == login)).first()
            if row is None:
                return None
            before = _user(row)
            if values:
                uow.connection.execute(update(USERS).where(USERS.c.id == before.id).values(**values))
            if disabled or password_hash is not None:
                uow.connection.execute(delete(SESSIONS).where(SESSIONS.c.user_id == before.id))
            after = _user(uow.connection.execute(select(USERS).where(USERS.c.id == before.id)).one())
            action = "user.password" if password_hash is not None else "user.update"
            uow.audit.record(
                AuditEntry(
                    action=action,
                    scope="user",
                    subject_id=login,
                    before=_public(before),
                    after=_public(after),
                )
            )
            uow.commit()
        return after

    def add_session(self, session_hash: str, user_id: int, csrf_token: str, expires_at: datetime) -> None:
        """Store a new session (not audited: signing in changes no flag state)."""
        with self._unit(READER) as uow:
            uow.connection.execute(
                SESSIONS.insert().values(
                    session_hash=session_hash,
                    user_id=user_id,
                    csrf_token=csrf_token,
                    expires_at=expires_at,
                )
            )
            uow.commit()

    def find_session(self, session_hash: str) -> Session | None:
        """The session with its user, in one query."""
        statement = (
            select(USERS, SESSIONS.c.csrf_token, SESSIONS.c.expires_at)
            .join(SESSIONS, SESSIONS.c.user_id == USERS.c.id)
            .where(SESSIONS.c.session_hash == session_hash)
        )
        with self._unit(READER, read_only=True) as uow:
            row = uow.connection.execute(statement).first()
        if row is None:
            return None
        return Session(user=_user(row), csrf_token=row.csrf_token, expires_at=utc(row.expires_at))

    def delete_session(self, session_hash: str) -> None:
        """Forget a session."""
        with self._unit(READER) as uow:
            uow.connection.execute(delete(SESSIONS).where(SESSIONS.c.session_hash == session_hash))
            uow.commit()
