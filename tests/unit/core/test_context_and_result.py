"""The context read from camelCase JSON, and the result written back as camelCase JSON."""

from __future__ import annotations

import pytest

from flagpilot.core import ErrorCode, EvaluationContext, EvaluationResult, Reason, Tier
from tests.unit.builders import ctx


def test_context_from_dict__reads_camel_case_and_keeps_the_rest_as_attributes() -> None:
    context = EvaluationContext.from_dict({"customerId": "c-1", "organizationId": "acme", "plan": "pro"})

    assert (context.customer_id, context.organization_id, dict(context.attributes)) == (
        "c-1",
        "acme",
        {"plan": "pro"},
    )


def test_context_from_dict__accepts_openfeatures_targeting_key_for_the_customer() -> None:
    assert EvaluationContext.from_dict({"targetingKey": "c-1"}).customer_id == "c-1"


def test_context_from_dict__prefers_customer_id_over_targeting_key() -> None:
    assert EvaluationContext.from_dict({"customerId": "c-1", "targetingKey": "t-1"}).customer_id == "c-1"


def test_context_from_dict__turns_numeric_ids_into_strings() -> None:
    context = EvaluationContext.from_dict({"customerId": 42, "organizationId": 7})

    assert (context.customer_id, context.organization_id) == ("42", "7")


def test_context_from_dict__of_an_empty_object__is_anonymous() -> None:
    assert EvaluationContext.from_dict({}) == EvaluationContext()


@pytest.mark.parametrize(
    ("stickiness", "expected"),
    [("customerId", "c-1"), ("organizationId", "acme"), ("plan", "pro"), ("seats", "12"), ("absent", None)],
)
def test_stickiness_value__reads_the_named_id_or_attribute(stickiness: str, expected: str | None) -> None:
    context = ctx("c-1", "acme", plan="pro", seats=12)

    assert context.stickiness_value(stickiness) == expected


@pytest.mark.parametrize("stickiness", ["customerId", "organizationId", "plan"])
def test_stickiness_value__of_an_empty_value__is_none(stickiness: str) -> None:
    assert ctx("", "", plan="").stickiness_value(stickiness) is None


def test_result_to_dict__has_exactly_the_api_keys() -> None:
    result = EvaluationResult(
        key="wave", value=True, reason=Reason.SPLIT, variant="on", version=4, tier=Tier.TIER_2_EARLY_ADOPTERS
    )

    assert result.to_dict() == {
        "value": True,
        "reason": "SPLIT",
        "variant": "on",
        "errorCode": None,
        "errorMessage": None,
        "version": 4,
        "tier": "tier_2_early_adopters",
    }


def test_result_to_dict__of_an_error__names_the_code_and_message() -> None:
    result = EvaluationResult(
        key="gone", value=False, reason=Reason.ERROR, error_code=ErrorCode.FLAG_NOT_FOUND, error_message="no"
    )

    data = result.to_dict()

    assert (data["reason"], data["errorCode"], data["errorMessage"]) == ("ERROR", "FLAG_NOT_FOUND", "no")
    assert result.is_error
