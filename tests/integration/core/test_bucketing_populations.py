"""Bucketing over large populations, against the reference hash, Unleash, and another process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flagpilot.core import bucket, hash_key, in_rollout, unleash_normalized
from tests.unit.core.strategies import GROUPS, IDS_TEXT
from tests.unit.reference import murmur3_x86_32

IDS = [f"customer-{n}" for n in range(100_000)]


@given(group_id=GROUPS, value=IDS_TEXT)
def test_hash_key__is_murmur3_of_the_utf8_group_colon_value(group_id: str, value: str) -> None:
    assert hash_key(group_id, value) == murmur3_x86_32(f"{group_id}:{value}".encode())


def test_bucket__is_the_same_in_another_process_with_another_string_hash_seed() -> None:
    # Given buckets computed here
    values = IDS[:200]
    here = [bucket("new_checkout", value) for value in values]

    # When a fresh interpreter with a different PYTHONHASHSEED computes them
    script = (
        "import sys; from flagpilot.core import bucket; "
        "print(*(bucket('new_checkout', v) for v in sys.argv[1:]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script, *values], env=env, capture_output=True, check=True, text=True
    )

    # Then every customer lands in the same bucket: nothing depends on the process
    assert [int(b) for b in out.stdout.split()] == here


@settings(max_examples=300)
@given(group_id=GROUPS, value=IDS_TEXT, percentage=st.integers(0, 100))
def test_in_rollout__at_whole_percentages__agrees_with_unleash(
    group_id: str, value: str, percentage: int
) -> None:
    # Unleash's flexibleRollout: percentage > 0 and normalizedValue(id, groupId) <= percentage
    unleash = percentage > 0 and unleash_normalized(group_id, value) <= percentage

    assert in_rollout(group_id, value, percentage) is unleash


def test_in_rollout__at_whole_percentages__agrees_with_unleash_for_every_tier_over_10000_ids() -> None:
    for percentage in (1, 10, 50, 100):
        for value in IDS[:10_000]:
            normalized = murmur3_x86_32(f"new_checkout:{value}".encode()) % 100 + 1
            assert in_rollout("new_checkout", value, percentage) is (normalized <= percentage)


@given(group_id=GROUPS, value=IDS_TEXT, hundredths=st.integers(1, 99))
def test_in_rollout__below_1_percent__only_admits_customers_unleash_admits_at_1_percent(
    group_id: str, value: str, hundredths: int
) -> None:
    # Fine steps split Unleash's first 1% bucket; they never admit anyone from outside it.
    if in_rollout(group_id, value, hundredths / 100):
        assert unleash_normalized(group_id, value) == 1


@pytest.mark.parametrize("percentage", [1, 10, 50])
def test_in_rollout__admits_the_percentage_of_100000_ids_within_half_a_point(percentage: float) -> None:
    # Given 100,000 distinct customer ids
    # When each is bucketed for one flag
    share = sum(in_rollout("new_checkout", value, percentage) for value in IDS) / len(IDS) * 100

    # Then the share admitted is the percentage, within ±0.5 percentage points
    assert share == pytest.approx(percentage, abs=0.5)


def test_in_rollout__at_a_fractional_percentage__admits_that_share_of_100000_ids() -> None:
    share = sum(in_rollout("new_checkout", value, 0.5) for value in IDS) / len(IDS) * 100

    assert share == pytest.approx(0.5, abs=0.1)


def test_in_rollout__of_two_flags_at_10_percent__overlaps_about_1_percent() -> None:
    # Given two flags at 10% each
    # When 100,000 customers are bucketed for both
    both = sum(in_rollout("flag_a", value, 10) and in_rollout("flag_b", value, 10) for value in IDS)

    # Then the overlap is that of independent draws: 10% x 10% = 1%, within ±0.3 points
    assert both / len(IDS) * 100 == pytest.approx(1.0, abs=0.3)
