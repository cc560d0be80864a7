"""Bulk actions from the flags page: enable, disable, kill or archive the selected flags.

    POST /admin/bulk   action, environment, flags (repeated), reason

Always confirmed with a reason: the confirmation lists every flag that will change. The flag
manager applies all of them in one transaction with one audit row per flag, or none.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from flagpilot.services.auth import ADMINS, EDITORS
from flagpilot.services.errors import InvalidInput
from flagpilot.services.flags import BulkAction
from flagpilot.ui.flags_page import FLAGS_PATH
from flagpilot.ui.forms import PostedForm, back_to, confirmation, needs_reason, posted
from flagpilot.ui.services import UiServices
from flagpilot.ui.web import UiRoute

VERBS = {
    BulkAction.ENABLE: "turn on",
    BulkAction.DISABLE: "turn off",
    BulkAction.KILL: "kill",
    BulkAction.ARCHIVE: "archive",
}
MAX_LISTED = 200


def bulk_router(services: UiServices) -> APIRouter:
    """The bulk action route."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)

    @router.post("/admin/bulk")
    def bulk(request: Request, form: PostedForm) -> Response:
        post = posted(request, form, services, EDITORS, "change flags")
        try:
            action = BulkAction(post.text("action"))
        except ValueError:
            raise InvalidInput(f"unknown bulk action {post.text('action')!r}") from None
        if action is BulkAction.ARCHIVE:
            post.caller.require(ADMINS, "archive flags")
        keys = post.all("flags")
        environment = post.text("environment")
        back = post.text("next", FLAGS_PATH)
        if not keys:
            raise InvalidInput("select at least one flag for a bulk action")
        if not post.reason:
            where = "" if action is BulkAction.ARCHIVE else f" in {environment}"
            changes = [f"{key}: {VERBS[action]}{where}" for key in keys[:MAX_LISTED]]
            if len(keys) > MAX_LISTED:
                changes.append(f"… and {len(keys) - MAX_LISTED} more")
            return confirmation(
                request,
                title=f"{VERBS[action].capitalize()} {len(keys)} flags{where}?",
                changes=changes,
                action="/admin/bulk",
                hidden={"action": action.value, "environment": environment, "next": back},
                repeated={"flags": keys},
                back=back,
                error=needs_reason(post),
                button=f"{VERBS[action].capitalize()} {len(keys)} flags",
            )
        services.flags.bulk(action, keys, environment, actor=post.caller.actor, reason=post.reason)
        return back_to(back, FLAGS_PATH)

    return router
