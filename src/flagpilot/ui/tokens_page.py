"""The API tokens page: create one (its secret shown this once), list them, revoke one.

    GET  /admin/tokens
    POST /admin/tokens                 kind, name, organization, environment
    POST /admin/tokens/{id}/revoke

Managing tokens is for admins, exactly as on the API; editors and viewers see the list only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from flagpilot.services.auth import ADMINS, TokenKind
from flagpilot.services.errors import InvalidInput
from flagpilot.ui.forms import PostedForm, posted
from flagpilot.ui.services import UiServices
from flagpilot.ui.sessions import current_caller
from flagpilot.ui.web import UiRoute, render


def tokens_router(services: UiServices) -> APIRouter:
    """The tokens page and its forms."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)

    def page(
        request: Request, *, created: tuple[str, str] | None = None, error: str = "", status: int = 200
    ) -> Response:
        caller = current_caller(request, services.users)
        context = {
            "nav": "tokens",
            "tokens": services.tokens.list(),
            "kinds": [kind.value for kind in TokenKind],
            "environments": [env.name for env in services.flags.list_environments()],
            "can_manage": caller.may(ADMINS),
            "created": created,
            "error": error,
        }
        return render(request, "tokens.html", context, status)

    @router.get("/admin/tokens")
    def tokens(request: Request) -> Response:
        return page(request)

    @router.post("/admin/tokens")
    def create(request: Request, form: PostedForm) -> Response:
        post = posted(request, form, services, ADMINS, "manage tokens")
        try:
            token, secret = services.tokens.create(
                post.text("kind"),
                post.text("organization") or None,
                post.text("environment") or None,
                post.text("name"),
                post.caller.actor,
            )
        except InvalidInput as exc:
            return page(request, error=exc.detail, status=422)
        return page(request, created=(token.token_id, secret))

    @router.post("/admin/tokens/{token_id}/revoke")
    def revoke(request: Request, form: PostedForm, token_id: str) -> Response:
        post = posted(request, form, services, ADMINS, "manage tokens")
        services.tokens.revoke(token_id, post.caller.actor)
        return RedirectResponse("/admin/tokens", 303)

    return router
