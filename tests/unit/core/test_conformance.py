"""Run the language-neutral conformance vectors in tests/conformance/ (see its README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from flagpilot.core import (
    NO_DEFAULT,
    ErrorCode,
    EvaluationContext,
    FlagType,
    Reason,
    schema_text,
    snapshot_from_dict,
)

FOLDER = Path(__file__).parents[2] / "conformance"
FILES = sorted(FOLDER.glob("*.json"))
CASE_KEYS = {"name", "note", "snapshot", "flag", "context", "default", "expectedType", "expected"}
EXPECTED_KEYS = ["value", "reason", "variant", "errorCode", "version", "tier"]
SCHEMA = Draft202012Validator(json.loads(schema_text()))


def cases() -> list[Any]:
    return [
        pytest.param(case, id=f"{path.stem}: {case['name']}")
        for path in FILES
        for case in json.loads(path.read_text("utf-8"))["cases"]
    ]


def canonical(data: object) -> str:
    """JSON text that tells true from 1 and 3 from 3.0, as a stricter SDK would."""
    return json.dumps(data, sort_keys=True)


def context_of(data: dict[str, Any]) -> EvaluationContext:
    return EvaluationContext(
        customer_id=data.get("customerId"),
        organization_id=data.get("organizationId"),
        attributes=data.get("attributes", {}),
    )


@pytest.mark.parametrize("case", cases())
def test_conformance_case__gives_the_expected_result(case: dict[str, Any]) -> None:
    # Given the case's snapshot, read through the wire format, and its context
    snapshot = snapshot_from_dict(case["snapshot"])
    context = context_of(case["context"])
    default = case.get("default", NO_DEFAULT)  # a null default is a default: None
    expected_type = FlagType(case["expectedType"]) if "expectedType" in case else None

    # When the flag is evaluated
    result = snapshot.evaluate(case["flag"], context, default, expected_type).to_dict()

    # Then the result is the expected one, field for field (errorMessage is for humans, not compared)
    del result["errorMessage"]
    assert canonical(result) == canonical(case["expected"])


@pytest.mark.parametrize("case", cases())
def test_conformance_case__is_well_formed(case: dict[str, Any]) -> None:
    assert set(case) <= CASE_KEYS
    assert list(case["expected"]) == EXPECTED_KEYS
    assert set(case["context"]) <= {"customerId", "organizationId", "attributes"}
    SCHEMA.validate(case["snapshot"])


def test_conformance_files__cover_every_reason_and_evaluation_error() -> None:
    expected = [case.values[0]["expected"] for case in cases()]

    assert {e["reason"] for e in expected} == {reason.value for reason in Reason}
    assert {e["errorCode"] for e in expected} == {
        None,
        ErrorCode.FLAG_NOT_FOUND.value,
        ErrorCode.TYPE_MISMATCH.value,
        ErrorCode.TARGETING_KEY_MISSING.value,
    }
    assert len(expected) >= 40


def test_conformance_files__have_unique_case_names() -> None:
    names = [case.id for case in cases()]

    assert len(names) == len(set(names))
