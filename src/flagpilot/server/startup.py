"""What a server checks and prepares before it takes traffic: the schema and the bootstrap token.

A server on a database that was never initialised would answer every request with an error;
refusing to start, with the command that fixes it, is kinder to the operator. The bootstrap
admin token lets an unattended set-up (a container, CI) call the admin API without a manual
`flagpilot token create` first; registering it is idempotent, by the hash of its secret, so
every restart and every worker may do it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from flagpilot.services.auth import TokenKind
from flagpilot.services.errors import Conflict
from flagpilot.services.tokens import TokenInfo, TokenService
from flagpilot.settings import Settings
from flagpilot.storage import build_engine, migrate

BOOTSTRAP_NAME = "bootstrap admin"


class DatabaseNotReady(RuntimeError):
    """The database cannot be read, or is not migrated to this version's schema."""


def _not_initialised(url: str) -> str:
    return (
        f"the database at {url} is not initialised: run `flagpilot init` "
        "(with the same FLAGPILOT_DATABASE_URL) first"
    )


def check_schema(engine: Engine) -> None:
    """Refuse a database that is unreachable, empty, or at another revision than this code's.

    Raises:
        DatabaseNotReady: saying which, and the command that fixes it.
    """
    url = engine.url.render_as_string(hide_password=True)
    database = engine.url.database
    on_disk = engine.url.get_backend_name() == "sqlite" and database and database != ":memory:"
    if on_disk and not Path(str(database)).is_file():  # connecting would create an empty file
        raise DatabaseNotReady(_not_initialised(url))
    try:
        current = migrate.current_revision(engine)
    except DBAPIError as exc:
        raise DatabaseNotReady(f"cannot read the database at {url}: {str(exc.orig).strip()}") from exc
    head = migrate.head_revision()
    if current is None:
        raise DatabaseNotReady(_not_initialised(url))
    if current != head:
        raise DatabaseNotReady(
            f"the database at {url} is at revision {current}, this flagpilot needs {head}: "
            "run `flagpilot db upgrade`"
        )


def check_database(settings: Settings) -> None:
    """`check_schema` on a short-lived engine of `settings`, for a check before workers start."""
    engine = build_engine(settings.database_url, poolclass=NullPool)
    try:
        check_schema(engine)
    finally:
        engine.dispose()


def bootstrap_admin(tokens: TokenService, secret: str | None) -> TokenInfo | None:
    """Register the operator's bootstrap admin token, unless it is already stored.

    Several workers start at once; if another one stored the same secret a moment earlier,
    the insert conflicts and the stored token is taken instead.
    """
    if not secret:
        return None
    try:
        return tokens.register(secret, TokenKind.ADMIN, BOOTSTRAP_NAME)
    except Conflict:
        return tokens.register(secret, TokenKind.ADMIN, BOOTSTRAP_NAME)
