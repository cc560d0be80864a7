"""The seed's routes: `GET /api/admin/feature-flags` (every flag by phase) and `POST` (set a value).

    POST /api/admin/feature-flags
    {"featureName": "phase2_enhanced_storage", "environment": "production",
     "customerId": "cust-1", "organizationId": "org-1", "enabled": true, "reason": "pilot"}

`customerId` makes it a customer override, `organizationId` alone an organization override,
neither the environment's own value (which takes `If-Match` or `version`).
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from flagpilot.api.admin.access import (
    EDITORS,
    READERS,
    actor_of,
    environment_for,
    organization_for,
    require_all_organizations,
)
from flagpilot.api.admin.bodies import SetFeature
from flagpilot.api.admin.dependencies import AdminServices
from flagpilot.api.admin.grouping import by_phase
from flagpilot.api.admin.responses import READ, WRITE, PhasesDoc, SetFeatureDoc
from flagpilot.api.admin.sent import named_as_sent
from flagpilot.api.admin.versions import expected_version, versioned
from flagpilot.api.jsonio import json_response
from flagpilot.api.security import require
from flagpilot.core import Problem
from flagpilot.services.auth import Principal
from flagpilot.services.errors import InvalidInput
from flagpilot.services.stored_records import OverrideScope


def chosen_value(body: SetFeature) -> Any:
    """The value a body sets: `enabled` or `value`, exactly one of them.

    Raises:
        RequestValidationError: neither, both, or a null `value`, naming the field.
    """
    given = {"enabled", "value"} & body.model_fields_set
    if len(given) != 1:
        message = "give either enabled or value" if not given else "give enabled or value, not both"
        raise RequestValidationError([{"loc": ("body", "enabled"), "msg": message, "type": "value_error"}])
    if "enabled" in given:
        if body.enabled is None:
            raise RequestValidationError(
                [{"loc": ("body", "enabled"), "msg": "must be true or false", "type": "value_error"}]
            )
        return body.enabled
    if body.value is None:
        raise RequestValidationError(
            [{"loc": ("body", "value"), "msg": "null is not a flag value", "type": "value_error"}]
        )
    return body.value


def feature_flags_router(services: AdminServices) -> APIRouter:
    """`/api/admin/feature-flags` over `services`."""
    router = APIRouter(prefix="/api/admin/feature-flags", tags=["admin: feature flags"])
    readers = Depends(require(services.authenticator, *READERS))
    editors = Depends(require(services.authenticator, *EDITORS))
    manager = services.flags

    @router.get("", summary="Every flag by phase", response_model=PhasesDoc, responses=READ)
    def list_by_phase(
        principal: Annotated[Principal, readers],
        include_archived: Annotated[bool, Query(alias="includeArchived")] = False,
    ) -> Response:
        """Every flag grouped by phase, each with every environment's state, overrides and rollout."""
        require_all_organizations(principal)
        environments = [env.name for env in manager.list_environments()]
        return json_response(by_phase(manager.list_flags(include_archived=include_archived), environments))

    @router.post("", summary="Set a value at one scope", response_model=SetFeatureDoc, responses=WRITE)
    def set_feature(
        body: SetFeature,
        principal: Annotated[Principal, editors],
        if_match: Annotated[str | None, Header(alias="If-Match")] = None,
    ) -> Response:
        """Set the environment's value, an organization's override or a customer's override."""
        value = chosen_value(body)
        sent = named_as_sent({"value": "enabled" if "enabled" in body.model_fields_set else "value"})
        key = body.feature_name
        environment = environment_for(principal, body.environment, services.default_environment)
        actor = actor_of(principal)
        organization = organization_for(principal, body.organization_id)
        if body.customer_id is None and body.organization_id is None:
            require_all_organizations(principal)
            with sent:
                view = manager.set_value(
                    key,
                    environment,
                    value,
                    actor=actor,
                    expected_version=expected_version(if_match, body.version),
                    reason=body.reason,
                )
            scope, subject, version = "environment", None, view.version
        else:
            scope = OverrideScope.CUSTOMER if body.customer_id is not None else OverrideScope.ORGANIZATION
            subject = body.customer_id if body.customer_id is not None else organization
            if subject is None:  # neither a customer nor an organization: nothing to override
                raise InvalidInput(
                    "an override names a customer or an organization",
                    [Problem("body", "organizationId", "is required without customerId")],
                )
            with sent:
                stored = manager.set_override(
                    key,
                    environment,
                    scope,
                    subject,
                    value,
                    actor=actor,
                    reason=body.reason,
                    organization_id=organization
                    if scope is OverrideScope.CUSTOMER
                    else principal.organization_id,
                )
            value, version = stored.value, manager.get_flag(key).version
        data = {
            "featureName": key,
            "environment": environment,
            "scope": str(scope),
            "subjectId": subject,
            "value": value,
            "version": version,
        }
        return versioned(data, version)

    return router
