"""What a server checks and prepares before it takes traffic: the schema and the bootstrap token.

A server on a database that was never initialised would answer every request with an error;
refusing to start, with the command that fixes it, is kinder to the operator. The bootstrap
admin token lets an unattended set-up (a container, CI) call the admin API without a manual
`flagpilot token create` first; registering it is idempotent, by the hash of its secret, so
every restart and every worker may do it.
"""

from __future__ import annotations

from sqlalchemy.pool import NullPool

from flagpilot.services.auth import TokenKind
from flagpilot.services.errors import Conflict
from flagpilot.services.tokens import TokenInfo, TokenService
from flagpilot.settings import Settings
from flagpilot.storage import build_engine
from flagpilot.storage.migrate import DatabaseNotReady, check_schema

BOOTSTRAP_NAME = "bootstrap admin"

__all__ = ["BOOTSTRAP_NAME", "DatabaseNotReady", "bootstrap_admin", "check_database", "check_schema"]


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
