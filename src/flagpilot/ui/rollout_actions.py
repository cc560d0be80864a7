"""Creating rollouts and moving them through their lifecycle from the UI.

    POST /admin/rollouts                                  create one (whitelist, threshold, window, dwell)
    POST /admin/rollouts/preset                           the six preset rollouts in one action
    POST /admin/rollouts/{key}/{environment}/{verb}       start, advance, pause, resume, rollback,
                                                          restart, complete

The rollout manager decides everything: a refused advance comes back as `GateClosed`, shown on
the rollout page with the gate and when it opens; a forced advance and a rollback need a
reason, asked for on a confirmation page and recorded with the skipped gates.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from flagpilot.core import Problem
from flagpilot.services.auth import EDITORS
from flagpilot.services.errors import GateClosed, InvalidInput, RolloutStateError, VersionConflict
from flagpilot.services.rollouts import RolloutConfig, create_preset_rollouts
from flagpilot.ui.forms import (
    Posted,
    PostedForm,
    confirmation,
    conflict_page,
    needs_reason,
    posted,
    version_of,
)
from flagpilot.ui.rollout_pages import LIST_DEFAULTS, rollout_page, rollout_path
from flagpilot.ui.services import UiServices
from flagpilot.ui.web import UiRoute, opening, render

FORM_FIELDS = {
    "rollbackThreshold.errorRate": "error_rate",
    "rollbackThreshold.timeWindow": "window_minutes",
    "minDwellSeconds": "dwell_hours",
    "minDwellHours": "dwell_hours",
    "minEvents": "min_events",
    "whitelistedCustomers": "whitelist",
    "featureName": "feature",
    "environment": "environment",
}
"""Service field names → the create form's fields, to show each error next to its field."""


def _number(post: Posted, name: str, default: float) -> float:
    text = post.text(name)
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(
            f"{name} must be a number", [Problem("rollout", name, "must be a number")]
        ) from None


def config_of(post: Posted) -> dict[str, Any]:
    """The create form as the rollout config's wire shape (percent → rate, minutes → ms)."""
    whitelist = [
        line.strip() for line in post.text("whitelist").replace(",", "\n").splitlines() if line.strip()
    ]
    minutes = _number(post, "window_minutes", 60)
    return {
        "whitelistedCustomers": whitelist,
        "rollbackThreshold": {
            "errorRate": _number(post, "error_rate", 5) / 100,
            "timeWindow": int(minutes * 60_000) if minutes.is_integer() else minutes * 60_000,
        },
        "minDwellHours": _number(post, "dwell_hours", 48),
        "minEvents": int(n) if (n := _number(post, "min_events", 100)).is_integer() else n,
    }


def rollout_actions_router(services: UiServices) -> APIRouter:
    """The rollout write actions."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)
    manager = services.rollouts

    def create_form_errors(request: Request, post: Posted, error: InvalidInput) -> Response:
        errors = {FORM_FIELDS.get(p.field, p.field): p.message for p in error.problems} or {
            "feature": error.detail
        }
        context = {
            **LIST_DEFAULTS,
            "rollouts": manager.list_rollouts(),
            "environments": [env.name for env in services.flags.list_environments()],
            "flags": [view.key for view in services.flags.list_flags()],
            "can_edit": True,
            "values": {name: post.text(name) for name in ("feature", "environment", *FORM_FIELDS.values())},
            "errors": errors,
        }
        return render(request, "rollouts.html", context, 422)

    @router.post("/admin/rollouts")
    def create(request: Request, form: PostedForm) -> Response:
        post = posted(request, form, services, EDITORS, "create a rollout")
        feature, environment = post.text("feature"), post.text("environment")
        try:
            services.flags.get_flag(feature)
            config = RolloutConfig.from_wire(config_of(post), feature or "rollout")
            manager.create(
                feature,
                environment,
                config,
                actor=post.caller.actor,
                now=services.clock(),
                reason=post.reason,
            )
        except InvalidInput as exc:
            return create_form_errors(request, post, exc)
        return RedirectResponse(rollout_path(feature, environment), 303)

    @router.post("/admin/rollouts/preset")
    def preset(request: Request, form: PostedForm) -> Response:
        post = posted(request, form, services, EDITORS, "create rollouts")
        internal = [c.strip() for c in post.text("internal").replace(",", "\n").splitlines() if c.strip()]
        create_preset_rollouts(
            manager, post.text("environment"), internal, actor=post.caller.actor, now=services.clock()
        )
        return RedirectResponse("/admin/rollouts", 303)

    @router.post("/admin/rollouts/{key}/{environment}/{verb}")
    def transition(request: Request, form: PostedForm, key: str, environment: str, verb: str) -> Response:
        post = posted(request, form, services, EDITORS, "change a rollout")
        if verb not in ("start", "advance", "pause", "resume", "rollback", "restart", "complete"):
            raise InvalidInput(f"unknown rollout action {verb!r}")
        here = rollout_path(key, environment)
        force = verb == "advance" and bool(post.text("force"))
        if (verb == "rollback" or force) and not post.reason:
            record = manager.get(key, environment)
            where = f"{key} in {environment}"
            change = (
                f"{where}: roll back from {record.current_tier} ({record.percentage:g}%) to 0% "
                "— nobody gets the feature, overrides included, until restarted"
                if verb == "rollback"
                else f"{where}: advance from {record.current_tier} past every closed gate"
            )
            return confirmation(
                request,
                title=f"{'Roll back' if verb == 'rollback' else 'Force the advance of'} {where}?",
                changes=[change],
                action=request.url.path,
                hidden={"version": post.text("version"), "force": post.text("force")},
                back=here,
                error=needs_reason(post),
                button="Roll back" if verb == "rollback" else "Force advance",
            )
        steps: dict[str, Callable[..., object]] = {
            "start": manager.start,
            "advance": partial(manager.advance, force=force),
            "pause": manager.pause,
            "resume": manager.resume,
            "rollback": manager.rollback,
            "restart": manager.restart,
            "complete": manager.complete,
        }
        try:
            steps[verb](
                key,
                environment,
                actor=post.caller.actor,
                now=services.clock(),
                reason=post.reason,
                expected_version=version_of(post.text("version")),
            )
        except VersionConflict as exc:
            return conflict_page(request, services, exc, key, here)
        except GateClosed as exc:
            opens = opening(exc.opens_at)
            message = f"Advance refused by the {exc.gate} gate, which opens {opens}: {exc.detail}."
            return rollout_page(request, services, key, environment, error=message, status=409)
        except RolloutStateError as exc:
            return rollout_page(request, services, key, environment, error=exc.detail, status=409)
        return RedirectResponse(f"{here}?done={verb}", 303)

    return router
