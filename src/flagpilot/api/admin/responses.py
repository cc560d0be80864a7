"""Response shapes of the admin API, for the OpenAPI document (routes build their JSON by hand).

Also the problem responses each family of routes can give, so generated clients and the
schema-based fuzzing know every status a route may answer with.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from flagpilot.api.schemas import PROBLEM_RESPONSES, Camel, problem_doc


class EnvironmentDoc(Camel):
    """A flag in one environment."""

    killed: bool
    value: Any = Field(default=None, description="The environment's value; absent when none is set.")
    enabled: bool | None = Field(
        default=None,
        description="Boolean flags in the phase listing: on for a customer with no override and "
        "outside any rollout (kill switch, then environment value, then default).",
    )
    rollout: dict[str, Any] | None
    customer_overrides: int
    organization_overrides: int


class FlagDoc(Camel):
    """A flag with its state in every environment."""

    key: str
    type: str
    default_value: Any = None
    phase: int | None
    description: str
    prerequisites: list[str]
    archived: bool
    version: int
    created_at: str | None
    updated_at: str | None
    environments: dict[str, EnvironmentDoc]


class PhasesDoc(BaseModel):
    """Every flag, grouped by phase: `"1"`, `"2"`, `"3"` and `"none"`."""

    phases: dict[str, list[FlagDoc]]
    environments: list[str]


class SetFeatureDoc(Camel):
    """What `POST /api/admin/feature-flags` changed."""

    feature_name: str
    environment: str
    scope: str = Field(examples=["environment", "organization", "customer"])
    subject_id: str | None
    value: Any = None
    version: int


class OverrideDoc(Camel):
    """One customer or organization override."""

    flag: str
    environment: str
    scope: str
    subject_id: str
    value: Any = None
    organization_id: str | None
    reason: str
    created_by: str
    updated_at: str | None


class OverridePageDoc(Camel):
    """One page of overrides; pass `nextCursor` as `cursor` for the next (null: last page)."""

    items: list[OverrideDoc]
    next_cursor: str | None


class CountDoc(BaseModel):
    """How many rows a call changed."""

    count: int


class AuditDoc(Camel):
    """One audit row; `before` and `after` are the states around the change."""

    id: int
    changed_at: str
    actor: str
    actor_name: str | None = None
    action: str
    scope: str
    flag: str | None
    environment: str | None
    subject_id: str | None
    before: Any = None
    after: Any = None
    reason: str
    hash: str | None


class AuditPageDoc(Camel):
    """Audit rows, newest first; pass `nextBefore` as `before` for the next page (null: last)."""

    items: list[AuditDoc]
    next_before: int | None


class ChainDoc(Camel):
    """The outcome of verifying the audit trail's hash chain."""

    ok: bool
    checked: int
    sealed: int
    broken_id: int | None
    problem: str | None


class ImportDoc(Camel):
    """What an import wrote (or, on a dry run, would write)."""

    environments: int
    flags: int
    customer_overrides: int
    organization_overrides: int
    rollouts: int
    dry_run: bool


class EnvironmentItem(BaseModel):
    """A deployment environment."""

    name: str
    description: str


class EnvironmentsDoc(BaseModel):
    """Every environment, by name."""

    items: list[EnvironmentItem]


Responses = dict[int | str, dict[str, Any]]

NOT_FOUND: Responses = {404: problem_doc("No such flag, environment or override.")}
CONFLICT: Responses = {
    409: problem_doc("The flag changed since the version named (`currentVersion` says which).")
}
READ: Responses = {**PROBLEM_RESPONSES}
TOO_LARGE: Responses = {413: problem_doc("The request body is larger than the server accepts.")}
WRITE: Responses = {**PROBLEM_RESPONSES, **NOT_FOUND, **CONFLICT, **TOO_LARGE}
ETAG_HEADER: dict[str, Any] = {
    "ETag": {"description": 'The flag\'s version, e.g. `"3"`.', "schema": {"type": "string"}}
}
