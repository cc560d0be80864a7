"""docs/snapshot-format.md's example is a real snapshot, and behaves as the page says."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator

from flagpilot.core import EvaluationContext, schema_text, snapshot_from_dict, snapshot_to_dict

PAGE = Path(__file__).parents[3] / "docs" / "snapshot-format.md"


def example() -> dict[str, object]:
    block = re.search(r"```json\n(.*?)```", PAGE.read_text("utf-8"), re.DOTALL)
    assert block is not None
    document: dict[str, object] = json.loads(block.group(1))
    return document


def test_example__validates_and_is_exactly_what_the_writer_writes() -> None:
    document = example()

    Draft202012Validator(json.loads(schema_text())).validate(document)
    assert snapshot_to_dict(snapshot_from_dict(document)) == document


def test_example__evaluates_as_the_page_says() -> None:
    snapshot = snapshot_from_dict(example())

    def answer(flag: str, customer: str | None, organization: str | None = None) -> tuple[object, str]:
        result = snapshot.evaluate(flag, EvaluationContext(customer, organization))
        return result.value, result.error_code or result.reason

    assert answer("phase2_retry_logic", "cust-qa-1") == (True, "TARGETING_MATCH")
    assert answer("phase2_retry_logic", "cust-42", "org-pilot") == (False, "TARGETING_MATCH")
    assert answer("phase2_retry_logic", "cust-7", "org-pilot") == (True, "TARGETING_MATCH")
    assert answer("phase2_retry_logic", None) == (False, "TARGETING_KEY_MISSING")
    assert answer("chat_greeting", "cust-7", "org-formal") == ("Good day.", "TARGETING_MATCH")
    assert answer("chat_greeting", "cust-7") == ("Hello again!", "STATIC")
