"""An independent statement of DESIGN.md's bucketing, so tests never check the code against itself.

`murmur3_x86_32` is a plain transcription of Austin Appleby's MurmurHash3_x86_32 (public
domain, SMHasher), slow and obvious; `reference_bucket` applies DESIGN.md's formula to it.
"""

from __future__ import annotations

_C1 = 0xCC9E2D51
_C2 = 0x1B873593
_MASK = 0xFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _MASK


def _fmix(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    return h ^ (h >> 16)


def murmur3_x86_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3_x86_32 of `data`, unsigned."""
    h = seed & _MASK
    whole = len(data) - len(data) % 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = _rotl((k * _C1) & _MASK, 15)
        h ^= (k * _C2) & _MASK
        h = (_rotl(h, 13) * 5 + 0xE6546B64) & _MASK
    tail = data[whole:]
    if tail:
        k = int.from_bytes(tail, "little")
        k = _rotl((k * _C1) & _MASK, 15)
        h ^= (k * _C2) & _MASK
    return _fmix(h ^ len(data))


def reference_bucket(group_id: str, stickiness_value: str) -> int:
    """DESIGN.md: h = murmur3("{group_id}:{value}" as UTF-8); bucket = (h % 100) * 100 + (h // 100) % 100."""
    h = murmur3_x86_32(f"{group_id}:{stickiness_value}".encode())
    return (h % 100) * 100 + (h // 100) % 100


def customer_with_bucket(group_id: str, wanted: range, prefix: str = "customer-") -> str:
    """The first id `{prefix}{n}` whose bucket in `group_id` falls in `wanted`."""
    n = 0
    while reference_bucket(group_id, f"{prefix}{n}") not in wanted:
        n += 1
    return f"{prefix}{n}"
