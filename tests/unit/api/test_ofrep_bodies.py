"""OFREP answers from remembered per-result documents: the same bytes as serialising each answer."""

from __future__ import annotations

from dataclasses import replace

import orjson

from flagpilot.api.ofrep_bodies import DOCUMENTS_PER_FLAG, ResultBodies, result_body
from flagpilot.core import EvaluationContext, Snapshot
from tests.unit.api.conftest import ROLLOUT_FLAG, production

CONTEXTS = [EvaluationContext(customer_id=f"c{n}") for n in range(40)] + [
    EvaluationContext(),
    EvaluationContext(customer_id="vip"),
    EvaluationContext(organization_id="org-a"),
]


def serialised(snapshot: Snapshot, context: EvaluationContext) -> bytes:
    """The bulk answer built and serialised whole, as a reference."""
    results = snapshot.evaluate_all(context).values()
    return orjson.dumps({"flags": [result_body(r, snapshot.environment, snapshot.version) for r in results]})


def test_bulk__for_every_kind_of_outcome__is_the_whole_answer_serialised() -> None:
    bodies, snapshot = ResultBodies(), production()

    answers = [
        bodies.bulk("production", snapshot, snapshot.evaluate_all(ctx).values()) for ctx in CONTEXTS * 2
    ]

    assert answers == [serialised(snapshot, ctx) for ctx in CONTEXTS * 2]
    reasons = {
        entry.get("reason", entry.get("errorCode")) for a in answers for entry in orjson.loads(a)["flags"]
    }
    assert {"SPLIT", "TARGETING_MATCH", "TARGETING_KEY_MISSING", "DEFAULT"} <= reasons


def test_one__is_the_results_success_document() -> None:
    bodies, snapshot = ResultBodies(), production()
    result = snapshot.evaluate(ROLLOUT_FLAG, EvaluationContext(customer_id="vip"))

    first, again = bodies.one("production", snapshot, result), bodies.one("production", snapshot, result)

    assert orjson.loads(first) == result_body(result, "production", 7)
    assert again == first


def test_a_new_snapshot__answers_with_its_own_version() -> None:
    bodies, old, new = ResultBodies(), production(version=7), production(version=8)
    context = EvaluationContext(customer_id="c1")
    bodies.bulk("production", old, old.evaluate_all(context).values())

    answer = orjson.loads(bodies.bulk("production", new, new.evaluate_all(context).values()))

    assert {entry["metadata"]["version"] for entry in answer["flags"]} == {8}


def test_results_made_per_request__are_served_but_not_remembered_past_the_bound() -> None:
    bodies, snapshot = ResultBodies(), production()
    result = snapshot.evaluate(ROLLOUT_FLAG, EvaluationContext(customer_id="c1"))
    made = [replace(result, value=n % 2 == 0) for n in range(DOCUMENTS_PER_FLAG * (len(snapshot) + 3))]

    answers = [orjson.loads(bodies.one("production", snapshot, r))["value"] for r in made]

    assert answers == [n % 2 == 0 for n in range(len(made))]
    assert len(bodies._documents("production", snapshot).by_result) == DOCUMENTS_PER_FLAG * (
        len(snapshot) + 1
    )
