"""Signing in and out of the admin UI.

    GET  /admin/login     the form (a double-submit CSRF token in a cookie and a hidden field)
    POST /admin/login     check the password (argon2), open a session, go where the user wanted
    POST /admin/logout    end the session (the server forgets it, not only the cookie)

Failed sign-ins are throttled per user name (`flagpilot.services.users`); the page then says
when to try again and answers 429 with `Retry-After`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from flagpilot.services.errors import Unauthenticated
from flagpilot.services.users import TooManyAttempts
from flagpilot.ui.forms import PostedForm
from flagpilot.ui.services import UiServices
from flagpilot.ui.sessions import (
    SESSION_COOKIE,
    check_csrf,
    check_login_csrf,
    clear_session_cookie,
    current_caller,
    login_csrf,
    set_session_cookie,
)
from flagpilot.ui.web import UiRoute, render

HOME = "/dashboard/admin/feature-flags"


def safe_next(target: str) -> str:
    """Where to go after signing in: a path on this site only (never `//evil` or a URL)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target:
        return target
    return HOME


def login_router(services: UiServices) -> APIRouter:
    """The sign-in and sign-out routes."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)

    def form(
        request: Request, *, error: str = "", login: str = "", next_path: str = HOME, status: int = 200
    ) -> Response:
        response = Response()
        csrf = login_csrf(request, response)
        page = render(
            request, "login.html", {"csrf": csrf, "error": error, "login": login, "next": next_path}, status
        )
        page.raw_headers.extend(h for h in response.raw_headers if h[0] == b"set-cookie")
        return page

    @router.get("/admin/login")
    def login_page(request: Request, next: str = HOME) -> Response:
        return form(request, next_path=safe_next(next))

    @router.post("/admin/login")
    def login(request: Request, data: PostedForm) -> Response:
        name, password = str(data.get("login", "")).strip(), str(data.get("password", ""))
        next_path = safe_next(str(data.get("next", HOME)))
        check_login_csrf(request, data)
        try:
            _session, secret = services.users.login(name, password)
        except TooManyAttempts as exc:
            page = form(
                request,
                error=f"{exc.detail} (in {exc.retry_after} s)",
                login=name,
                next_path=next_path,
                status=429,
            )
            page.headers["Retry-After"] = str(exc.retry_after)
            return page
        except Unauthenticated as exc:
            return form(request, error=exc.detail, login=name, next_path=next_path, status=401)
        response = RedirectResponse(next_path, 303)
        set_session_cookie(request, response, secret)
        return response

    @router.post("/admin/logout")
    def logout(request: Request, data: PostedForm) -> Response:
        caller = current_caller(request, services.users)
        check_csrf(request, caller, data)
        services.users.logout(request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/admin/login", 303)
        clear_session_cookie(request, response)
        return response

    @router.get("/admin")
    def admin_home() -> Response:
        return RedirectResponse(HOME, 303)

    return router
