"""Response and request shapes, for the OpenAPI document.

Routes build their JSON by hand (with orjson, on the hot path); these models describe it to
readers of `/docs` and to generated clients, and are never used to validate a response.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Camel(BaseModel):
    """Snake-case in Python, camelCase on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ProblemDocument(BaseModel):
    """An error, as RFC 9457 `application/problem+json`."""

    model_config = ConfigDict(title="Problem")  # the documented schema name

    type: str = Field(examples=["urn:flagpilot:problem:not-found"])
    title: str
    status: int
    detail: str


class FieldError(BaseModel):
    """One bad field of a request."""

    field: str = Field(examples=["query.customerId"])
    message: str


class ValidationProblem(ProblemDocument):
    """A request that does not match the schema: each bad field is named."""

    model_config = ConfigDict(title="ValidationProblem")

    errors: list[FieldError]


class WidgetDocument(Camel):
    """The chat widget's configuration: phase → feature → on/off."""

    session_persistence: dict[str, dict[str, bool]] = Field(
        examples=[
            {
                "phase1": {"parentStorage": True, "crossDomainMessaging": True, "autoRestore": True},
                "phase2": {"enhancedStorage": False, "connectionMonitoring": False, "retryLogic": False},
                "phase3": {"tabSync": False, "performanceMode": False, "analytics": False},
            }
        ]
    )


class OfrepRequest(BaseModel):
    """An OFREP evaluation request: `targetingKey` is the customer id."""

    context: dict[str, Any] | None = Field(
        default=None, examples=[{"targetingKey": "customer-42", "organizationId": "org-7"}]
    )


class OfrepSuccess(BaseModel):
    """One flag's value and why (OFREP `evaluationSuccess`)."""

    key: str
    value: Any
    reason: str = Field(examples=["SPLIT"])
    variant: str = Field(examples=["on"])
    metadata: dict[str, bool | int | float | str] = Field(
        examples=[{"version": 12, "environment": "production"}]
    )


class OfrepFailure(Camel):
    """One flag that could not be evaluated (OFREP `evaluationFailure` / `flagNotFound`)."""

    key: str
    error_code: str = Field(examples=["TARGETING_KEY_MISSING"])
    error_details: str | None = None


class OfrepBulkFailure(Camel):
    """A bulk request that could not be evaluated at all."""

    error_code: str = Field(examples=["INVALID_CONTEXT"])
    error_details: str | None = None


class OfrepBulk(BaseModel):
    """Every flag of the environment, each a success or a failure."""

    flags: list[OfrepSuccess | OfrepFailure]


class Check(BaseModel):
    """One readiness check."""

    ok: bool
    detail: str


class Readiness(Camel):
    """Whether this process should receive traffic, and why."""

    ready: bool
    checks: dict[str, Check]
    flags_enabled: bool
    snapshot_version: int
    snapshot_age_seconds: float


BEARER: list[dict[str, list[str]]] = [{"HTTPBearer": []}]
"""The OpenAPI security requirement of routes that check tokens themselves."""


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON schema with its `$defs` substituted in place.

    Pydantic refers to nested models as `#/$defs/Name`, which only resolves against the schema's
    own root; placed inside an OpenAPI document, the reference points at nothing.
    """
    schema = model.model_json_schema()
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def problem_doc(description: str, model: type[ProblemDocument] = ProblemDocument) -> dict[str, Any]:
    """An OpenAPI response of `application/problem+json`, its schema self-contained."""
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": inline_schema(model)}},
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_doc("No token, or an unknown or revoked one."),
    403: problem_doc("The token may not call this endpoint or reach this scope."),
}
"""The error responses every authenticated route can give."""
