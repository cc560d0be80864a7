"""Evaluation counts by flag and reason, counted one answer at a time: exact however they are read."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from flagpilot.api import evaluation_tally
from flagpilot.api.evaluation_tally import EvaluationTally
from flagpilot.core import EvaluationContext
from tests.unit.api.conftest import production

CONTEXTS = [EvaluationContext(customer_id=f"c{n}") for n in range(60)] + [
    EvaluationContext(),
    EvaluationContext(customer_id="vip"),
    EvaluationContext(organization_id="org-a"),
]


def test_answers_and_single_evaluations__add_up_per_flag_and_reason() -> None:
    tally, expected = EvaluationTally(), Counter[tuple[str, str]]()
    snapshot = production()
    for context in random.Random(7).choices(CONTEXTS, k=300):
        results = snapshot.evaluate_all(context)
        tally.count(tuple(results), results.values())
        expected.update((r.key, r.reason) for r in results.values())
    tally.count_one("(unknown)", "ERROR")  # type: ignore[arg-type]  # a reason's text is equal to it
    expected["(unknown)", "ERROR"] += 1

    assert tally.totals() == expected
    assert tally.totals() == expected  # reading folds nothing away


def test_more_patterns_than_kept__are_folded_into_the_same_totals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluation_tally, "MAX_PATTERNS", 3)
    tally, expected = EvaluationTally(), Counter[tuple[str, str]]()
    snapshot = production()
    for context in CONTEXTS:
        results = snapshot.evaluate_all(context)
        tally.count(tuple(results), results.values())
        expected.update((r.key, r.reason) for r in results.values())
        assert tally.totals() == expected
    assert len(tally._state[1]) <= 3
