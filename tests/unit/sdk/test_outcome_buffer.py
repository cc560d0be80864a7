"""The outcome buffer: counters per minute, oldest dropped past the bound, failed batches kept."""

from __future__ import annotations

from flagpilot.sdk._outcomes import OutcomeBuffer, settle_reply


def test_counts__are_merged_per_flag_customer_outcome_and_minute() -> None:
    now = [120.5]
    buffer = OutcomeBuffer(clock=lambda: now[0])
    buffer.add("f", "c-1", True)
    buffer.add("f", "c-1", True)
    now[0] += 60
    buffer.add("f", "c-1", False)

    events = buffer.take()

    assert [(e["outcome"], e["count"], e["timestamp"]) for e in events] == [
        ("success", 2, 120_000),
        ("error", 1, 180_000),
    ]


def test_bound__drops_the_oldest_and_counts_them() -> None:
    buffer = OutcomeBuffer(max_pending=2, clock=lambda: 0.0)
    for customer in ("a", "b", "c"):
        buffer.add("f", customer, True)

    assert [e["customerId"] for e in buffer.take()] == ["b", "c"]
    assert buffer.metrics().dropped == 1


def test_failed_send__keeps_the_batch_ahead_of_newer_counts_and_a_refused_one_is_dropped() -> None:
    buffer = OutcomeBuffer(clock=lambda: 0.0)
    buffer.add("f", "old", True)
    batch = buffer.take()
    buffer.add("f", "new", True)

    assert settle_reply(buffer, batch, 503) is False
    assert buffer.metrics().pending == 2
    assert [e["customerId"] for e in buffer.take()] == ["old", "new"]
    assert settle_reply(buffer, batch, 422) is False
    assert buffer.metrics().dropped == 1
