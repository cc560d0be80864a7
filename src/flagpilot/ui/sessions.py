"""Who is signed in, and whether a form really comes from one of our pages.

A session is an HttpOnly, SameSite=Lax cookie (Secure when the page is served over TLS) holding
a random secret; the server keeps its hash, its user and its CSRF token. Every POST must carry
that CSRF token, as the `csrf_token` form field or, for htmx requests, the `X-CSRF-Token`
header; SameSite already stops most cross-site posts, and the token stops the rest (and a
same-site subdomain). The sign-in form, which has no session yet, uses a double-submit cookie.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from flagpilot.services.auth import Principal, TokenKind, permit
from flagpilot.services.errors import PermissionDenied
from flagpilot.services.users import SESSION_LIFETIME, Session, UserService

SESSION_COOKIE = "flagpilot_session"
LOGIN_CSRF_COOKIE = "flagpilot_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_PATH = "/admin/login"


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in page (and back afterwards)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRejected(PermissionDenied):
    """A POST without the session's CSRF token."""


@dataclass(frozen=True, slots=True)
class Caller:
    """The signed-in user of a request, with what the UI needs to know about it."""

    session: Session

    @property
    def principal(self) -> Principal:
        """The user as the services' permission checks see it."""
        return self.session.user.principal()

    @property
    def actor(self) -> str:
        """How the audit trail names the user."""
        return self.session.user.actor

    def may(self, kinds: tuple[TokenKind, ...]) -> bool:
        """Whether the user's role is one of `kinds` (controls are hidden otherwise)."""
        return self.session.user.role in kinds

    def require(self, kinds: tuple[TokenKind, ...], what: str) -> None:
        """Refuse the action unless the role allows it (`PermissionDenied`, like the API's 403)."""
        permit(self.principal, kinds, what)


def is_secure(request: Request) -> bool:
    """Whether the page was requested over TLS (cookies are then marked Secure)."""
    return request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    """Hand the browser its session secret."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    """Make the browser forget its session."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=is_secure(request))


def login_csrf(request: Request, response: Response) -> str:
    """The sign-in form's CSRF token: the one in the browser's cookie, or a new one set now."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, path=LOGIN_PATH, httponly=True, samesite="strict", secure=is_secure(request)
    )
    return token


def check_login_csrf(request: Request, form: FormData) -> None:
    """Refuse a sign-in post whose token does not match its cookie."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = str(form.get(CSRF_FIELD, ""))
    if not cookie or not hmac.compare_digest(cookie, sent):
        raise CsrfRejected("the sign-in form expired; please try again")


def current_caller(request: Request, users: UserService) -> Caller:
    """The signed-in user of `request` (kept on `request.state.ui_session` for the templates).

    Raises:
        SignInRequired: no cookie, or one whose session is unknown, expired or disabled.
    """
    session = users.session(request.cookies.get(SESSION_COOKIE, ""))
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target if request.method == "GET" else "/admin")
    request.state.ui_session = session
    return Caller(session)


def check_csrf(request: Request, caller: Caller, form: FormData) -> None:
    """Refuse a POST that does not carry the session's CSRF token (field or htmx header)."""
    sent = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD, ""))
    if not hmac.compare_digest(sent.encode(), caller.session.csrf_token.encode()):
        raise CsrfRejected("this form expired or did not come from this site; reload the page and try again")
