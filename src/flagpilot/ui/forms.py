"""What every write action of the UI shares: CSRF, roles, reasons, versions and their pages.

A destructive action (a toggle in a guarded environment, the kill switch, a rollback, a bulk
action) needs a reason, and the server enforces it: a post without one is answered with a
confirmation page that lists the exact change and asks for the reason, so no browser, script
or disabled JavaScript can skip it. The reason then lands in the audit row.

Every form carries the version it was read at; when the service refuses a stale one
(`VersionConflict`), the conflict page says who changed what and when, from the audit trail,
and offers a reload instead of overwriting their change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from flagpilot.services.audit_entry import MAX_REASON_LENGTH
from flagpilot.services.auth import TokenKind
from flagpilot.services.errors import InvalidInput, VersionConflict
from flagpilot.ui.services import UiServices
from flagpilot.ui.sessions import Caller, check_csrf, current_caller
from flagpilot.ui.web import render

MAX_REASON = MAX_REASON_LENGTH


@dataclass(frozen=True, slots=True)
class Posted:
    """A checked POST: who sent it and its fields."""

    caller: Caller
    form: FormData

    def text(self, name: str, default: str = "") -> str:
        """A field's value as text, stripped."""
        return str(self.form.get(name, default)).strip()

    def all(self, name: str) -> list[str]:
        """Every value of a repeated field (checkboxes)."""
        return [str(value) for value in self.form.getlist(name)]

    @property
    def reason(self) -> str:
        """The reason the user gave, at most `MAX_REASON` characters."""
        return self.text("reason")[:MAX_REASON]


async def read_form(request: Request) -> FormData:
    """The POST's form, read on the event loop before the handler runs.

    Reading the body is the only part of a write action that needs the loop; with the form in
    hand the handler is a plain `def`, which FastAPI runs in its threadpool, so the session
    lookup and the service's database write never hold the event loop (a slow or hung database
    stalls that one request, not every request of the process).
    """
    return await request.form()


PostedForm = Annotated[FormData, Depends(read_form)]


def posted(
    request: Request, form: FormData, services: UiServices, kinds: tuple[TokenKind, ...], what: str
) -> Posted:
    """The POST of a signed-in user with the right role and the session's CSRF token.

    Raises:
        SignInRequired, CsrfRejected, PermissionDenied: the page says which.
    """
    caller = current_caller(request, services.users)
    check_csrf(request, caller, form)
    caller.require(kinds, what)
    return Posted(caller, form)


def version_of(text: str | None) -> int | None:
    """The version a form was read at (`version` field or query parameter); None if absent."""
    if text is None or not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"version {text!r} is not a number") from None


def back_to(target: str, default: str) -> RedirectResponse:
    """After a change, back where the user was (a path on this site only)."""
    safe = target if target.startswith("/") and not target.startswith("//") else default
    return RedirectResponse(safe, 303)


def confirmation(
    request: Request,
    *,
    title: str,
    changes: Sequence[str],
    action: str,
    hidden: Mapping[str, str],
    back: str,
    error: str = "",
    button: str = "Confirm",
    repeated: Mapping[str, Sequence[str]] | None = None,
) -> Response:
    """The page that lists the exact change and asks for the reason (422 when one was missing)."""
    context = {
        "title": title,
        "changes": changes,
        "action": action,
        "hidden": hidden,
        "repeated": repeated or {},
        "back": back,
        "error": error,
        "button": button,
    }
    return render(request, "confirm.html", context, 422 if error else 200)


def needs_reason(post: Posted) -> str:
    """The error to show when a confirmed post came without a reason ("" when it is fine)."""
    if post.text("confirmed") and not post.reason:
        return "A reason is required: it is recorded in the audit log."
    return ""


def conflict_page(
    request: Request, services: UiServices, error: VersionConflict, flag: str, back: str
) -> Response:
    """Who changed the flag meanwhile, what and when; a reload instead of an overwrite."""
    latest = services.audit.query(feature_name=flag, limit=5)
    return render(
        request,
        "conflict.html",
        {"detail": error.detail, "flag": flag, "changes": latest, "back": back},
        409,
    )
