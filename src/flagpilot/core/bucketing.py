"""Deterministic customer bucketing, compatible with Unleash's flexibleRollout at whole percents.

    h      = murmurhash3_x86_32(f"{group_id}:{stickiness_value}", seed=0)   # unsigned
    bucket = (h % 100) * 100 + (h // 100) % 100                            # 0..9999

The coarse digit `h % 100` is Unleash's normalised bucket minus one, so at a whole percentage p
`bucket < p * 100` is exactly Unleash's `h % 100 + 1 <= p`; the fine digit splits each 1% bucket
into 100 steps of 0.01% without moving anyone across whole-percent boundaries.
"""

from __future__ import annotations

import mmh3

BUCKETS = 10_000


def hash_key(group_id: str, stickiness_value: str) -> int:
    """The unsigned murmur3 hash of `"{group_id}:{stickiness_value}"`."""
    return int(mmh3.hash(hashable(f"{group_id}:{stickiness_value}"), 0, signed=False))


def hashable(text: str) -> str | bytes:
    """`text` in a form mmh3 can hash safely: the string itself, or its UTF-8 bytes.

    mmh3 hashes a str as its UTF-8 encoding but crashes the interpreter on a lone surrogate
    (which JSON can carry as "\\ud800"); hashing the bytes, encoded with `surrogatepass`, gives the
    same value for every valid string and a stable one for the rest.
    """
    return text if text.isascii() else text.encode("utf-8", "surrogatepass")


def bucket_of_hash(h: int) -> int:
    """The 0.01%-grid bucket (0..9999) of an unsigned 32-bit hash."""
    return (h % 100) * 100 + (h // 100) % 100


def bucket(group_id: str, stickiness_value: str) -> int:
    """The bucket (0..9999) a stickiness value falls into for one group (normally the flag key)."""
    return bucket_of_hash(hash_key(group_id, stickiness_value))


def threshold(percentage: float) -> int:
    """The bucket bound for a percentage: buckets below it are in the rollout."""
    return round(percentage * 100)


def in_rollout(group_id: str, stickiness_value: str, percentage: float) -> bool:
    """Whether a stickiness value is inside a rollout of `percentage` (0–100, 0.01 steps)."""
    return bucket(group_id, stickiness_value) < threshold(percentage)


def unleash_normalized(group_id: str, stickiness_value: str) -> int:
    """Unleash's `normalizedValue(id, groupId)` (1..100), for cross-checking compatibility."""
    return hash_key(group_id, stickiness_value) % 100 + 1
