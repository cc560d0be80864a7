"""Bucketing: the documented hash, stable, monotonic, fair, independent per flag, Unleash-compatible."""

from __future__ import annotations

import pytest
from hypothesis import given

from flagpilot.core import bucket, hash_key, in_rollout, threshold, unleash_normalized
from tests.unit.core.strategies import GRID, GROUPS, IDS_TEXT
from tests.unit.reference import murmur3_x86_32, reference_bucket


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


@given(group_id=GROUPS, value=IDS_TEXT)
def test_bucket__is_designs_formula_and_within_range(group_id: str, value: str) -> None:
    result = bucket(group_id, value)

    assert result == reference_bucket(group_id, value)
    assert 0 <= result < 10_000


@given(group_id=GROUPS, value=IDS_TEXT, low=GRID, high=GRID)
def test_in_rollout__is_monotonic_in_the_percentage(
    group_id: str, value: str, low: float, high: float
) -> None:
    # Given two percentages, low <= high
    low, high = min(low, high), max(low, high)

    # Then whoever is in at the lower one is in at the higher one (no flapping on advance)
    assert not in_rollout(group_id, value, low) or in_rollout(group_id, value, high)


@given(group_id=GROUPS, value=IDS_TEXT)
def test_in_rollout__is_nobody_at_0_and_everybody_at_100(group_id: str, value: str) -> None:
    assert (in_rollout(group_id, value, 0), in_rollout(group_id, value, 100)) == (False, True)


@pytest.mark.parametrize(
    ("percentage", "expected"),
    [(0, 0), (0.01, 1), (0.29, 29), (1, 100), (10, 1000), (33.33, 3333), (57.01, 5701), (100, 10_000)],
)
def test_threshold__is_the_percentage_in_hundredths_despite_float_representation(
    percentage: float, expected: int
) -> None:
    # 0.29 * 100 is 28.999999999999996 in binary floating point: the bound must still be 29.
    assert threshold(percentage) == expected
