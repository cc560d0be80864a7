"""HTTP validators: entity tags and conditional requests (RFC 9110 §8.8.3, §13.1.2).

Pollers (widgets, SDKs, OFREP client providers) ask again and again for answers that rarely
change; a matching `If-None-Match` lets them keep their copy for the price of a 304.
"""

from __future__ import annotations

from hashlib import blake2b

from starlette.responses import Response

EVALUATION_CACHE_CONTROL = "private, no-cache"
"""How the evaluation routes' answers may be cached: per visitor, and revalidated every time."""


def etag_of(data: bytes) -> str:
    """A strong entity tag that changes exactly when `data` does: a response body, or the
    canonical bytes of everything that decides one (the same in every process and replica)."""
    return f'"{blake2b(data, digest_size=10).hexdigest()}"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (weak comparison, as the RFC asks for GET and HEAD)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = _opaque(etag)
    return any(_opaque(candidate) == wanted for candidate in if_none_match.split(","))


def not_modified(etag: str, headers: dict[str, str] | None = None) -> Response:
    """The 304 answer: no body, the validator repeated."""
    return Response(status_code=304, headers={**(headers or {}), "ETag": etag})
