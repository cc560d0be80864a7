"""Who is calling: the principal an API token stands for, and the port that recognises tokens.

The HTTP layer turns a bearer secret into a `Principal` through an `Authenticator` and then
decides by the principal's kind, organization and environment what the caller may do. Keeping
the port here lets the same API run over the in-memory token store (tests, a database-less
server) and the SQL store without knowing which.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Final, Literal, Protocol

from flagpilot.services.errors import PermissionDenied


class TokenKind(StrEnum):
    """What a token may be used for.

    Admin, editor and viewer tokens are for people and automation managing flags; server-SDK
    tokens read whole snapshots and evaluate anything; client-SDK keys ship inside web pages
    and apps, so they are public by nature and only ever evaluate.
    """

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"
    SERVER_SDK = "server-sdk"
    CLIENT_SDK = "client-sdk"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller a valid token stands for.

    Attributes:
        token_id: the token's public id (never its secret), for logs and audit rows.
        kind: what the token may do.
        organization_id: the one organization the token is confined to, or None for all.
        environment: the one environment the token is confined to, or None for any.
    """

    token_id: str
    kind: TokenKind
    organization_id: str | None = None
    environment: str | None = None


class _NotRemembered(Enum):
    NOT_REMEMBERED = "not remembered"


NOT_REMEMBERED: Final = _NotRemembered.NOT_REMEMBERED
"""`Authenticator.recall`'s answer when only a lookup in storage can tell."""

NotRemembered = Literal[_NotRemembered.NOT_REMEMBERED]


class Authenticator(Protocol):
    """Recognises bearer secrets: the only thing the API needs to know about tokens."""

    def authenticate(self, secret: str) -> Principal | None:
        """The principal of `secret`, or None if it is unknown or revoked.

        Called on every authenticated request, so implementations answer from memory or a cache;
        it may block on storage when they cannot (call it off the event loop).
        """
        ...

    def recall(self, secret: str) -> Principal | NotRemembered | None:
        """`authenticate` from memory, never blocking: `NOT_REMEMBERED` when storage must be asked."""
        ...


READERS = (TokenKind.ADMIN, TokenKind.EDITOR, TokenKind.VIEWER)
"""Who may read flags, rollouts and the audit trail: admin, editor and viewer tokens and users."""
EDITORS = (TokenKind.ADMIN, TokenKind.EDITOR)
"""Who may change environment values, kill switches, overrides and rollouts."""
ADMINS = (TokenKind.ADMIN,)
"""Who may change flag definitions, import, and manage tokens."""


def permit(principal: Principal, kinds: tuple[TokenKind, ...], what: str) -> None:
    """Refuse `principal` unless it is of one of `kinds` (the API's and the UI's one check).

    Raises:
        PermissionDenied: naming what was refused and who may do it.
    """
    if principal.kind not in kinds:
        allowed = ", ".join(kind.value for kind in kinds)
        raise PermissionDenied(f"a {principal.kind.value} cannot {what} (needs {allowed})")
