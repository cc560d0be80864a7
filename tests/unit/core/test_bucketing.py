"""Bucketing: the documented hash, stable, monotonic, fair, independent per flag, Unleash-compatible."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flagpilot.core import bucket, hash_key, in_rollout, threshold, unleash_normalized
from tests.unit.reference import murmur3_x86_32, reference_bucket

IDS = [f"customer-{n}" for n in range(100_000)]

_ids = st.text(min_size=1, max_size=40)
_groups = st.text(max_size=40)
_grid = st.integers(0, 10_000).map(lambda n: n / 100)  # percentages on the 0.01 grid


@pytest.mark.parametrize(
    ("data", "seed", "expected"),
    [
        # Published MurmurHash3_x86_32 vectors (SMHasher's verification set and its common test suites).
        (b"", 0, 0),
        (b"", 1, 0x514E28B7),
        (b"test", 0, 0xBA6BD213),
        (b"Hello, world!", 1234, 0xFAF6CDB3),
        (b"The quick brown fox jumps over the lazy dog", 0, 0x2E4FF723),
    ],
)
def test_reference_murmur3__matches_published_vectors(data: bytes, seed: int, expected: int) -> None:
    assert murmur3_x86_32(data, seed) == expected


@pytest.mark.parametrize(
    ("stickiness_value", "group_id", "expected"),
    [
        # Unleash's cross-SDK vectors: normalizedValue('123', 'gr1') == 73, ('999', 'groupX') == 25
        # (unleash-client-node test/strategy/util-test, repeated in the Java, Go and .NET clients).
        ("123", "gr1", 73),
        ("999", "groupX", 25),
    ],
)
def test_unleash_normalized__matches_unleash_sdk_test_vectors(
    stickiness_value: str, group_id: str, expected: int
) -> None:
    assert unleash_normalized(group_id, stickiness_value) == expected


def test_bucket__of_the_unleash_vectors__has_their_normalised_value_minus_one_as_coarse_digit() -> None:
    # The coarse digit is Unleash's bucket minus one; the fine digit is the hash's next two digits.
    assert hash_key("gr1", "123") == 538_421_172
    assert bucket("gr1", "123") == 72 * 100 + 11
    assert bucket("groupX", "999") == 24 * 100 + 61


@given(group_id=_groups, value=_ids)
def test_hash_key__is_murmur3_of_the_utf8_group_colon_value(group_id: str, value: str) -> None:
    assert hash_key(group_id, value) == murmur3_x86_32(f"{group_id}:{value}".encode())


@given(group_id=_groups, value=_ids)
def test_bucket__is_designs_formula_and_within_range(group_id: str, value: str) -> None:
    result = bucket(group_id, value)

    assert result == reference_bucket(group_id, value)
    assert 0 <= result < 10_000


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


@given(group_id=_groups, value=_ids, low=_grid, high=_grid)
def test_in_rollout__is_monotonic_in_the_percentage(
    group_id: str, value: str, low: float, high: float
) -> None:
    # Given two percentages, low <= high
    low, high = min(low, high), max(low, high)

    # Then whoever is in at the lower one is in at the higher one (no flapping on advance)
    assert not in_rollout(group_id, value, low) or in_rollout(group_id, value, high)


@given(group_id=_groups, value=_ids)
def test_in_rollout__is_nobody_at_0_and_everybody_at_100(group_id: str, value: str) -> None:
    assert (in_rollout(group_id, value, 0), in_rollout(group_id, value, 100)) == (False, True)


@settings(max_examples=300)
@given(group_id=_groups, value=_ids, percentage=st.integers(0, 100))
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


@given(group_id=_groups, value=_ids, hundredths=st.integers(1, 99))
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


@pytest.mark.parametrize(
    ("percentage", "expected"),
    [(0, 0), (0.01, 1), (0.29, 29), (1, 100), (10, 1000), (33.33, 3333), (57.01, 5701), (100, 10_000)],
)
def test_threshold__is_the_percentage_in_hundredths_despite_float_representation(
    percentage: float, expected: int
) -> None:
    # 0.29 * 100 is 28.999999999999996 in binary floating point: the bound must still be 29.
    assert threshold(percentage) == expected
