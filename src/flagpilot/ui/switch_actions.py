"""Turning a flag on or off in an environment, and its kill switch, from the flags page.

    POST /admin/flags/actions   one of on|off|kill|unkill = "key environment version"
    POST /admin/flags/{key}/environments/{env}/toggle?to=on|off&version=N
    POST /admin/flags/{key}/environments/{env}/kill?version=N
    POST /admin/flags/{key}/environments/{env}/unkill?version=N

The flags page has one form for its whole table: each of its thousands of buttons names its
action and carries its flag, environment and version as its value, so a cell costs two short
buttons rather than a form or a long `formaction` each (`/admin/flags/actions`). The per-flag
addresses answer the same actions; a confirmation page posts to them.

A toggle in a guarded environment (production) and every kill switch need a confirmed reason;
elsewhere a toggle is one click. The flag manager checks the version, the value's type and the
prerequisites, and writes the audit row naming the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
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
ACTIONS_PATH = "/admin/flags/actions"
SHARED_ACTIONS = ("on", "off", "kill", "unkill")
"""The field names a button of the flags table's shared form may carry."""


@dataclass(frozen=True, slots=True)
class Target:
    """The flag, environment and version one switch acts on."""

    key: str
    environment: str
    version: str | None

    def path(self, action: str, **query: str) -> str:
        """The per-flag address of `action` on this target (where a confirmation posts)."""
        params = {**query, **({} if self.version is None else {"version": self.version})}
        base = f"/admin/flags/{quote(self.key, safe='')}/environments/{quote(self.environment, safe='')}"
        return f"{base}/{action}" + (f"?{urlencode(params)}" if params else "")


def shared_action(form: FormData) -> tuple[str, Target]:
    """The action and target of a post to `/admin/flags/actions`.

    Raises:
        InvalidInput: not exactly one action field, or its value is not "key environment version".
    """
    present = [name for name in SHARED_ACTIONS if name in form]
    if len(present) != 1:
        raise InvalidInput(f"exactly one of {', '.join(SHARED_ACTIONS)} must be sent, not {len(present)}")
    action = present[0]
    parts = str(form.get(action, "")).split()
    if len(parts) != 3:
        raise InvalidInput(f"{action}: expected 'key environment version', got {str(form.get(action))!r}")
    return action, Target(parts[0], parts[1], parts[2])


def switch_router(services: UiServices) -> APIRouter:
    """The toggle and kill-switch actions."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)
    manager = services.flags

    def confirm(
        request: Request, post: Posted, action: str, title: str, change: str, button: str
    ) -> Response:
        back = post.text("next", FLAGS_PATH)
        return confirmation(
            request,
            title=title,
            changes=[change],
            action=action,
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

    def toggle(request: Request, form: FormData, target: Target, to: str) -> Response:
        post = posted(request, form, services, EDITORS, "change a flag")
        if to not in ("on", "off"):
            raise InvalidInput(f"to: must be on or off, not {to!r}")
        key, environment = target.key, target.environment
        expected = version_of(target.version)
        if environment in services.guarded_environments and not post.reason:
            return confirm(
                request,
                post,
                target.path("toggle", to=to),
                f"Turn {key} {to} in {environment}?",
                f"{key} in {environment}: turn {to} for every customer without an override or rollout",
                f"Turn {to} in {environment}",
            )
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

    def kill(request: Request, form: FormData, target: Target) -> Response:
        post = posted(request, form, services, EDITORS, "use the kill switch")
        key, environment = target.key, target.environment
        expected = version_of(target.version)
        if not post.reason:
            return confirm(
                request,
                post,
                target.path("kill"),
                f"Kill {key} in {environment}?",
                f"{key} in {environment}: off for everyone, overrides and rollouts included, until unkilled",
                f"Kill {key}",
            )
        return done(
            request,
            post,
            key,
            lambda: manager.kill(
                key, environment, actor=post.caller.actor, reason=post.reason, expected_version=expected
            ),
        )

    def unkill(request: Request, form: FormData, target: Target) -> Response:
        post = posted(request, form, services, EDITORS, "use the kill switch")
        key, environment = target.key, target.environment
        expected = version_of(target.version)
        if environment in services.guarded_environments and not post.reason:
            return confirm(
                request,
                post,
                target.path("unkill"),
                f"Unkill {key} in {environment}?",
                f"{key} in {environment}: its value, overrides and rollout apply again",
                f"Unkill {key}",
            )
        return done(
            request,
            post,
            key,
            lambda: manager.unkill(
                key, environment, actor=post.caller.actor, reason=post.reason, expected_version=expected
            ),
        )

    @router.post(ACTIONS_PATH)
    def shared(request: Request, form: PostedForm) -> Response:
        action, target = shared_action(form)
        if action == "kill":
            return kill(request, form, target)
        if action == "unkill":
            return unkill(request, form, target)
        return toggle(request, form, target, action)

    @router.post(BASE + "/toggle")
    def toggle_route(
        request: Request, form: PostedForm, key: str, environment: str, to: str, version: str | None = None
    ) -> Response:
        return toggle(request, form, Target(key, environment, version), to)

    @router.post(BASE + "/kill")
    def kill_route(
        request: Request, form: PostedForm, key: str, environment: str, version: str | None = None
    ) -> Response:
        return kill(request, form, Target(key, environment, version))

    @router.post(BASE + "/unkill")
    def unkill_route(
        request: Request, form: PostedForm, key: str, environment: str, version: str | None = None
    ) -> Response:
        return unkill(request, form, Target(key, environment, version))

    return router
