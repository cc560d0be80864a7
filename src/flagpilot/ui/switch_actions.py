"""Turning a flag on or off in an environment, and its kill switch, from the flags page.

    POST /admin/flags/{key}/environments/{env}/toggle?to=on|off&version=N
    POST /admin/flags/{key}/environments/{env}/kill?version=N
    POST /admin/flags/{key}/environments/{env}/unkill?version=N

A toggle in a guarded environment (production) and every kill switch need a confirmed reason;
elsewhere a toggle is one click. The flag manager checks the version, the value's type and the
prerequisites, and writes the audit row naming the user.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.responses import Response

from flagpilot.services.auth import EDITORS
from flagpilot.services.errors import InvalidInput, VersionConflict
from flagpilot.ui.flags_page import FLAGS_PATH
from flagpilot.ui.forms import (
    Posted,
    PostedForm,
    back_to,
    confirmation,
    conflict_page,
    needs_reason,
    posted,
    version_of,
)
from flagpilot.ui.services import UiServices
from flagpilot.ui.web import UiRoute

BASE = "/admin/flags/{key}/environments/{environment}"


def switch_router(services: UiServices) -> APIRouter:
    """The toggle and kill-switch actions."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)
    manager = services.flags

    def confirm(request: Request, post: Posted, title: str, change: str, button: str) -> Response:
        back = post.text("next", FLAGS_PATH)
        return confirmation(
            request,
            title=title,
            changes=[change],
            action=request.url.path + f"?{request.url.query}",
            hidden={"next": back},
            back=back,
            error=needs_reason(post),
            button=button,
        )

    def done(request: Request, post: Posted, key: str, change: Callable[[], object]) -> Response:
        back = post.text("next", FLAGS_PATH)
        try:
            change()
        except VersionConflict as exc:
            return conflict_page(request, services, exc, key, back)
        return back_to(back, FLAGS_PATH)

    @router.post(BASE + "/toggle")
    def toggle(
        request: Request, form: PostedForm, key: str, environment: str, to: str, version: str | None = None
    ) -> Response:
        post = posted(request, form, services, EDITORS, "change a flag")
        if to not in ("on", "off"):
            raise InvalidInput(f"to: must be on or off, not {to!r}")
        guarded = environment in services.guarded_environments
        if guarded and not post.reason:
            verb = "on" if to == "on" else "off"
            return confirm(
                request,
                post,
                f"Turn {key} {verb} in {environment}?",
                f"{key} in {environment}: turn {verb} for every customer without an override or rollout",
                f"Turn {verb} in {environment}",
            )
        expected = version_of(version)
        return done(
            request,
            post,
            key,
            lambda: manager.set_value(
                key,
                environment,
                to == "on",
                actor=post.caller.actor,
                expected_version=expected,
                reason=post.reason,
            ),
        )

    @router.post(BASE + "/kill")
    def kill(
        request: Request, form: PostedForm, key: str, environment: str, version: str | None = None
    ) -> Response:
        post = posted(request, form, services, EDITORS, "use the kill switch")
        if not post.reason:
            return confirm(
                request,
                post,
                f"Kill {key} in {environment}?",
                f"{key} in {environment}: off for everyone, overrides and rollouts included, until unkilled",
                f"Kill {key}",
            )
        expected = version_of(version)
        return done(
            request,
            post,
            key,
            lambda: manager.kill(
                key, environment, actor=post.caller.actor, reason=post.reason, expected_version=expected
            ),
        )

    @router.post(BASE + "/unkill")
    def unkill(
        request: Request, form: PostedForm, key: str, environment: str, version: str | None = None
    ) -> Response:
        post = posted(request, form, services, EDITORS, "use the kill switch")
        if environment in services.guarded_environments and not post.reason:
            return confirm(
                request,
                post,
                f"Unkill {key} in {environment}?",
                f"{key} in {environment}: its value, overrides and rollout apply again",
                f"Unkill {key}",
            )
        expected = version_of(version)
        return done(
            request,
            post,
            key,
            lambda: manager.unkill(
                key, environment, actor=post.caller.actor, reason=post.reason, expected_version=expected
            ),
        )

    return router
