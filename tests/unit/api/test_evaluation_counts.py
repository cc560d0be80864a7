"""The serving routes count what they evaluate, per environment and flag, for the stale mark."""

from __future__ import annotations

import httpx
import pytest

from flagpilot.services.evaluations import EvaluationCounter
from tests.unit.api.conftest import AppFactory, Keys, bearer

pytestmark = pytest.mark.anyio

ROLLOUT_FLAG = "phase2_enhanced_storage"


async def test_widget_and_ofrep__count_the_flags_they_evaluate(make_app: AppFactory, keys: Keys) -> None:
    # Given an app that counts evaluations
    counter = EvaluationCounter()
    transport = httpx.ASGITransport(app=make_app(evaluations=counter))
    async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as client:
        # When the widget is asked twice, one flag is evaluated by OFREP, and an unknown one too
        for _ in range(2):
            assert (await client.get("/api/widget/config", params={"key": keys.client})).status_code == 200
        single = "/ofrep/v1/evaluate/flags/{}"
        body = {"context": {"targetingKey": "c1"}}
        assert (
            await client.post(single.format(ROLLOUT_FLAG), json=body, headers=bearer(keys.server))
        ).is_success
        assert (
            await client.post(single.format("no_such_flag"), json=body, headers=bearer(keys.server))
        ).status_code == 404

    # Then the widget's flags count twice, the OFREP flag once more, and the unknown key not at all
    counts = counter.drain()
    assert counts[("phase1_auto_restore", "production")] == 2
    assert counts[(ROLLOUT_FLAG, "production")] == 3
    assert ("no_such_flag", "production") not in counts
    assert counter.drain() == {}


def test_counter__an_answer_counts_each_of_its_flags_once_and_a_failed_write_is_restored() -> None:
    counter = EvaluationCounter()
    counter.count("production", ("a", "b"))
    counter.count("production", ["a"])
    counter.count("staging", ("a", "b"))
    assert counter.pending() == {("a", "production"), ("b", "production"), ("a", "staging"), ("b", "staging")}

    drained = counter.drain()
    counter.restore(drained)  # the write failed: the counts wait for the next flush
    counter.count("production", ("b",))

    assert counter.drain() == {
        ("a", "production"): 2,
        ("b", "production"): 2,
        ("a", "staging"): 1,
        ("b", "staging"): 1,
    }
    assert drained == {
        ("a", "production"): 2,
        ("b", "production"): 1,
        ("a", "staging"): 1,
        ("b", "staging"): 1,
    }
