"""One flag's page: definition, environment values, overrides, explain, and its audit history.

    GET  /admin/flags/{key}                     the page
    GET  /admin/flags/{key}/explain             why a customer gets the value it gets (fragment with htmx)
    POST /admin/flags/{key}/definition          description and phase (admins; version-checked)
    POST /admin/flags/{key}/overrides           add or paste overrides for one or many subjects
    POST /admin/flags/{key}/overrides/remove    remove one override

The explain box evaluates against the serving snapshot, the very data the widget and the SDKs
are answered from, and lists the seven steps of the evaluation order with what each found.
"""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from flagpilot.core import EvaluationContext, FlagValue, Problem
from flagpilot.core.explain import Explanation
from flagpilot.services.auth import ADMINS, EDITORS
from flagpilot.services.errors import InvalidInput, StorageUnavailable, VersionConflict
from flagpilot.services.stored_records import OverrideScope
from flagpilot.ui.degraded import FALLBACK_ENVIRONMENTS, snapshot_view
from flagpilot.ui.diff import field_changes
from flagpilot.ui.flag_rows import value_text
from flagpilot.ui.forms import Posted, PostedForm, back_to, conflict_page, posted, version_of
from flagpilot.ui.services import UiServices
from flagpilot.ui.sessions import current_caller
from flagpilot.ui.web import DATABASE_DOWN, UiRoute, database_answered, render

OVERRIDES_SHOWN = 100
HISTORY_SHOWN = 50


def flag_path(key: str) -> str:
    """The address of a flag's page."""
    return f"/admin/flags/{quote(key, safe='')}"


def parse_value(text: str, field: str = "value") -> FlagValue:
    """A value typed in a form: JSON (`true`, `3`, `"text"`, `{...}`), else the text itself."""
    try:
        value: FlagValue = json.loads(text)
    except ValueError:
        if text.lstrip().startswith(("{", "[")):
            raise InvalidInput(
                f"{field}: not valid JSON", [Problem("(form)", field, "is not valid JSON")]
            ) from None
        return text
    return value


def flag_page_router(services: UiServices) -> APIRouter:
    """The flag page, its explain box and its forms."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)
    flags = services.flags

    def page(
        request: Request,
        key: str,
        *,
        errors: dict[str, str] | None = None,
        status: int = 200,
        explained: Explanation | None = None,
        query: dict[str, str] | None = None,
    ) -> Response:
        caller = current_caller(request, services.users)
        degraded = False
        try:
            view = flags.get_flag(key)
            overrides = {
                scope.value: flags.list_overrides(key, scope, limit=OVERRIDES_SHOWN).items
                for scope in OverrideScope
            }
            history = [
                (row, field_changes(row.before_value, row.after_value))
                for row in services.audit.query(feature_name=key, limit=HISTORY_SHOWN)
            ]
        except StorageUnavailable:
            view = snapshot_view(services.snapshots, key, FALLBACK_ENVIRONMENTS)
            overrides, history, degraded = {}, [], True
            request.state.ui_banner = DATABASE_DOWN
        else:
            database_answered(request)
        context = {
            "nav": "flags",
            "view": view,
            "definition": view.record.definition,
            "default_text": value_text(view.record.definition.default),
            "environments": list(view.environments),
            "overrides": overrides,
            "history": history,
            "can_edit": caller.may(EDITORS) and not degraded,
            "can_define": caller.may(ADMINS) and not degraded,
            "degraded": degraded,
            "errors": errors or {},
            "explained": explained,
            "query": query or {},
            "key": key,
            "value_text": value_text,
        }
        return render(request, "flag.html", context, status)

    @router.get("/admin/flags/{key}")
    def flag(request: Request, key: str) -> Response:
        return page(request, key)

    @router.get("/admin/flags/{key}/explain")
    def explain(
        request: Request,
        key: str,
        environment: str,
        customer: Annotated[str, Query(alias="customerId")] = "",
        organization: Annotated[str, Query(alias="organizationId")] = "",
    ) -> Response:
        current_caller(request, services.users)
        with suppress(StorageUnavailable):  # the snapshot alone can explain while the database is down
            flags.get_flag(key)
        context = EvaluationContext(customer_id=customer or None, organization_id=organization or None)
        explained = services.snapshots.get(environment).explain(key, context)
        values = {"environment": environment, "customerId": customer, "organizationId": organization}
        if request.headers.get("hx-request") != "true":
            return page(request, key, explained=explained, query=values)
        return render(
            request,
            "explain.html",
            {"explained": explained, "query": values, "value_text": value_text, "key": key},
        )

    @router.post("/admin/flags/{key}/definition")
    def definition(request: Request, form: PostedForm, key: str) -> Response:
        post = posted(request, form, services, ADMINS, "change a flag's definition")
        phase_text = post.text("phase")
        changes = {
            "description": post.text("description"),
            "phase": None if phase_text in ("", "none") else _phase(phase_text),
        }
        try:
            flags.update_flag(
                key,
                changes,
                actor=post.caller.actor,
                expected_version=version_of(post.text("version")),
                reason=post.reason,
            )
        except VersionConflict as exc:
            return conflict_page(request, services, exc, key, flag_path(key))
        except InvalidInput as exc:
            return page(request, key, errors=_errors(exc, "description"), status=422)
        return back_to(flag_path(key), flag_path(key))

    @router.post("/admin/flags/{key}/overrides")
    def add_overrides(request: Request, form: PostedForm, key: str) -> Response:
        post = posted(request, form, services, EDITORS, "change overrides")
        try:
            count = _set_overrides(services, key, post)
        except InvalidInput as exc:
            return page(request, key, errors=_errors(exc, "subjects"), status=422)
        del count
        return back_to(flag_path(key) + "#overrides", flag_path(key))

    @router.post("/admin/flags/{key}/overrides/remove")
    def remove_override(request: Request, form: PostedForm, key: str) -> Response:
        post = posted(request, form, services, EDITORS, "change overrides")
        flags.clear_override(
            key,
            post.text("environment"),
            _scope(post.text("scope")),
            post.text("subject"),
            actor=post.caller.actor,
            reason=post.reason,
        )
        return back_to(flag_path(key) + "#overrides", flag_path(key))

    return router


def _phase(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(
            "phase must be 1, 2, 3 or none", [Problem("(form)", "phase", "must be 1, 2, 3 or none")]
        ) from None


def _scope(text: str) -> OverrideScope:
    try:
        return OverrideScope(text)
    except ValueError:
        raise InvalidInput(f"scope must be customer or organization, not {text!r}") from None


def _errors(error: InvalidInput, fallback: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for problem in error.problems:
        name = (
            "value"
            if "Overrides[" in problem.field
            else problem.field.removesuffix("Id")
            if problem.field.endswith("Id")
            else problem.field
        )
        name = "subjects" if name in ("customer", "organization") else name
        found.setdefault(name, f"{problem.field}: {problem.message}")
    return found or {fallback: error.detail}


def _set_overrides(services: UiServices, key: str, post: Posted) -> int:
    subjects = [
        line.strip() for line in post.text("subjects").replace(",", "\n").splitlines() if line.strip()
    ]
    if not subjects:
        raise InvalidInput(
            "no subject", [Problem(key, "subjects", "name at least one customer or organization id")]
        )
    value = parse_value(post.text("value", "true"))
    values = dict.fromkeys(subjects, value)
    return services.flags.set_overrides(
        key,
        post.text("environment"),
        _scope(post.text("scope")),
        values,
        actor=post.caller.actor,
        reason=post.reason,
        organization_id=post.text("organization") or None,
    )
