"""Outcome events: attributed like evaluation attributes them, counted per minute, flushed as deltas."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flagpilot.core import (
    EnvironmentConfig,
    EvaluationContext,
    FlagDefinition,
    FlagState,
    Snapshot,
    Tier,
    in_rollout,
)
from flagpilot.services.rollouts import (
    Cohort,
    IngestResult,
    MetricRow,
    OutcomeAggregator,
    RolloutConfig,
    RolloutRecord,
)
from flagpilot.services.rollouts import transitions as rules
from tests.fakes.rollouts import InMemoryRolloutStore
from tests.unit.services.rollouts.helpers import ACTOR, ENV, FLAG, NOW


def serving(
    percentage_tier: Tier = Tier.TIER_2_EARLY_ADOPTERS, whitelist: tuple[str, ...] = ()
) -> RolloutRecord:
    planned = rules.new_rollout(
        FLAG, ENV, RolloutConfig(whitelisted_customers=whitelist), actor=ACTOR, now=NOW
    )
    record = rules.start(planned.with_id(7), now=NOW)
    while record.current_tier is not percentage_tier:
        record = rules.advance(record, now=NOW)
    return record


def aggregator_for(record: RolloutRecord) -> tuple[OutcomeAggregator, InMemoryRolloutStore]:
    store = InMemoryRolloutStore()
    aggregator = OutcomeAggregator(store)
    aggregator.set_rollouts(ENV, [record])
    return aggregator, store


def test_attribution__puts_exactly_the_customers_evaluation_turns_on_in_treatment() -> None:
    # Given a 10% rollout with a whitelist, and the snapshot evaluation serves from it
    record = serving(whitelist=("vip-1", "vip-2"))
    snapshot = Snapshot(
        [FlagState(FlagDefinition(FLAG), EnvironmentConfig(rollout=record.to_core()))],
        environment=ENV,
        version=1,
    )
    aggregator, store = aggregator_for(record)
    customers = [f"customer-{n}" for n in range(2_000)] + ["vip-1", "vip-2"]

    # When each customer reports one success
    aggregator.record(
        [{"featureName": FLAG, "customerId": c, "outcome": "success"} for c in customers],
        environment=ENV,
        now=NOW,
    )
    aggregator.flush(NOW)

    # Then treatment holds exactly those the evaluator turns on
    on = sum(bool(snapshot.evaluate(FLAG, EvaluationContext(customer_id=c)).value) for c in customers)
    rows = {row.cohort: row for row in store.metric_rows(7)}
    assert rows[Cohort.TREATMENT].successes + rows[Cohort.WHITELISTED].successes == on
    assert rows[Cohort.WHITELISTED].successes == 2  # the whitelist is counted apart: it is not drawn
    assert rows[Cohort.CONTROL].successes == len(customers) - on
    assert 150 < on < 260


def test_record__counts_per_minute_tier_cohort_and_outcome_with_counts_and_timestamps() -> None:
    # Given
    record = serving(Tier.TIER_4_FULL)
    aggregator, store = aggregator_for(record)
    earlier_ms = int((NOW - timedelta(minutes=3)).timestamp() * 1000)

    # When
    result = aggregator.record(
        [
            {"featureName": FLAG, "customerId": "a", "outcome": "success", "count": 5},
            {"featureName": FLAG, "customerId": "b", "outcome": "error"},
            {"featureName": FLAG, "customerId": "c", "outcome": "error", "timestamp": earlier_ms},
            {
                "featureName": FLAG,
                "customerId": "d",
                "outcome": "success",
                "timestamp": "2025-11-03T08:57:30Z",
            },
        ],
        environment=ENV,
        now=NOW,
    )
    aggregator.flush(NOW)

    # Then
    assert result == IngestResult(accepted=4)
    assert store.metric_rows(7) == [
        MetricRow(7, NOW - timedelta(minutes=3), Tier.TIER_4_FULL, Cohort.TREATMENT, 1, 1),
        MetricRow(7, NOW, Tier.TIER_4_FULL, Cohort.TREATMENT, 5, 1),
    ]


@pytest.mark.parametrize(
    "event",
    [
        {"featureName": FLAG, "customerId": "a", "outcome": "timeout"},
        {"featureName": FLAG, "outcome": "success"},
        {"featureName": FLAG, "customerId": "", "outcome": "success"},
        {"featureName": FLAG, "customerId": 42, "outcome": "success"},
        {"featureName": FLAG, "customerId": "a", "outcome": "success", "count": 0},
        {"featureName": FLAG, "customerId": "a", "outcome": "success", "count": True},
        {"featureName": FLAG, "customerId": "a", "outcome": "success", "count": 10_001},
        {"featureName": FLAG, "customerId": "a", "outcome": "success", "timestamp": "yesterday"},
        {"featureName": FLAG, "customerId": "a", "outcome": "success", "timestamp": "2025-11-01T00:00:00Z"},
        {"featureName": FLAG, "customerId": "a", "outcome": "success", "timestamp": "2025-11-03T10:00:00Z"},
        {"featureName": FLAG, "customerId": "\ud800", "outcome": "success"},
    ],
)
def test_record__a_malformed_event__is_rejected_without_stopping_the_batch(event: dict[str, object]) -> None:
    aggregator, _ = aggregator_for(serving())

    result = aggregator.record(
        [event, {"featureName": FLAG, "customerId": "ok", "outcome": "success"}], environment=ENV, now=NOW
    )

    assert result == IngestResult(accepted=1, rejected=1)


def test_record__events_of_flags_without_a_serving_rollout__are_ignored() -> None:
    # Given one rollout serving, one planned, in another environment's list too
    record = serving()
    planned = replace(rules.new_rollout("phase3_tab_sync", ENV, RolloutConfig(), actor=ACTOR, now=NOW), id=8)
    store = InMemoryRolloutStore()
    aggregator = OutcomeAggregator(store)
    aggregator.set_rollouts(ENV, [record, planned])

    # When
    result = aggregator.record(
        [
            {"featureName": "phase3_tab_sync", "customerId": "a", "outcome": "error"},
            {"featureName": "unknown", "customerId": "a", "outcome": "error"},
            {"featureName": FLAG, "customerId": "a", "outcome": "error"},
        ],
        environment=ENV,
        now=NOW,
    )
    staging = aggregator.record(
        [{"featureName": FLAG, "customerId": "a", "outcome": "error"}], environment="staging", now=NOW
    )

    # Then
    assert (result, staging) == (IngestResult(accepted=1, ignored=2), IngestResult(ignored=1))


def test_flush__hands_deltas_so_two_replicas_counts_sum() -> None:
    # Given two replicas flushing into one store
    record = serving(Tier.TIER_4_FULL)
    store = InMemoryRolloutStore()
    replicas = [OutcomeAggregator(store), OutcomeAggregator(store)]
    event = {"featureName": FLAG, "customerId": "a", "outcome": "error"}

    # When each counts and flushes twice
    for replica in replicas:
        replica.set_rollouts(ENV, [record])
        for _ in range(2):
            replica.record([event, event], environment=ENV, now=NOW)
            replica.flush(NOW)

    # Then the stored row holds all eight
    [row] = store.metric_rows(7)
    assert row.errors == 8
    assert replicas[0].pending() == 0


class _FailingSink:
    def __init__(self) -> None:
        self.fail = True
        self.rows: list[MetricRow] = []

    def add(self, rows: Sequence[MetricRow]) -> None:
        if self.fail:
            raise ConnectionError("database unreachable")
        self.rows.extend(rows)


def test_flush__when_the_sink_fails__keeps_the_counts_for_the_next_flush() -> None:
    # Given
    record = serving(Tier.TIER_4_FULL)
    sink = _FailingSink()
    aggregator = OutcomeAggregator(sink)
    aggregator.set_rollouts(ENV, [record])
    event = {"featureName": FLAG, "customerId": "a", "outcome": "success"}
    aggregator.record([event], environment=ENV, now=NOW)

    # When the first flush fails and more events arrive before the next
    with pytest.raises(ConnectionError):
        aggregator.flush(NOW)
    aggregator.record([event], environment=ENV, now=NOW)
    sink.fail = False
    handed = aggregator.flush(NOW)

    # Then nothing was lost or doubled
    assert handed == 1
    assert [row.successes for row in sink.rows] == [2]


def test_set_rollouts__after_an_advance__attributes_new_events_to_the_new_tier() -> None:
    record = serving(Tier.TIER_1_INTERNAL, whitelist=("vip",))
    aggregator, store = aggregator_for(record)
    event = {"featureName": FLAG, "customerId": "vip", "outcome": "success"}

    aggregator.record([event], environment=ENV, now=NOW)
    aggregator.set_rollouts(ENV, [rules.advance(record, now=NOW)])
    aggregator.record([event], environment=ENV, now=NOW)
    aggregator.flush(NOW)

    assert {row.tier for row in store.metric_rows(7)} == {Tier.TIER_1_INTERNAL, Tier.TIER_2_EARLY_ADOPTERS}


@settings(max_examples=60, deadline=None)
@given(
    customer=st.text(min_size=1, max_size=40),
    tier=st.sampled_from([Tier.TIER_1_INTERNAL, Tier.TIER_2_EARLY_ADOPTERS, Tier.TIER_3_GENERAL]),
)
def test_attribution__for_any_customer__is_core_bucketing_with_the_flag_key_as_group(
    customer: str, tier: Tier
) -> None:
    # Given
    record = serving(tier)
    aggregator, store = aggregator_for(record)

    # When
    aggregator.record(
        [{"featureName": FLAG, "customerId": customer, "outcome": "error"}], environment=ENV, now=NOW
    )
    aggregator.flush(NOW)

    # Then
    [row] = store.metric_rows(7)
    expected = Cohort.TREATMENT if in_rollout(FLAG, customer, record.percentage) else Cohort.CONTROL
    assert row.cohort is expected
