"""What the token service remembers about secrets, so that requests rarely reach storage.

Every request presents a secret, so two things are kept in memory:

- found tokens (revoked or not), trusted for `found_seconds`: a revocation made in this process
  is remembered at once, one made in another replica takes effect within `found_seconds`;
- the set of every stored token's hash prefix, reloaded (one query) when a secret is asked about
  and the set is older than `known_seconds`. A secret whose hash is not in the set is unknown
  without a lookup, so a flood of requests with bad keys — random ones, too, which a cache of
  bad keys would never see twice — costs one query every few seconds, not one per request.
  Its size is bounded by the number of tokens, not by what callers send. A token issued in
  another replica is recognised here within `known_seconds`.

Found tokens are also kept after they expire, as the last word while the database is
unreachable: a known token keeps authenticating from memory through an outage. After storage
failed to answer, it is not asked again for `retry_seconds`, so an outage is not a flood of
lookups that each wait for a timeout.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from enum import Enum
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:  # the token service imports this module
    from flagpilot.services.tokens import TokenInfo

FOUND_SECONDS = 5.0
KNOWN_SECONDS = 5.0
MAX_FOUND = 10_000
RETRY_SECONDS = 1.0
PREFIX_LENGTH = 16
"""Hex digits of a secret's SHA-256 kept per stored token: 64 bits, so a made-up secret matches
one of a million tokens' prefixes about once in 10^13 tries (and is then looked up in full)."""


class _Miss(Enum):
    MISS = "miss"


MISS: Final = _Miss.MISS
"""`TokenCache.lookup`'s answer when the secret's hash must be looked up in storage."""


class TokenCache:
    """Found tokens for a few seconds, and the hash prefixes of all stored tokens.

    Args:
        found_seconds: how long a found token is trusted without asking storage again.
        known_seconds: how long the set of stored hash prefixes is trusted.
        max_found: most found tokens remembered (least recently found first out).
        retry_seconds: how long after a failed lookup storage is left alone.
        clock: monotonic seconds.
    """

    def __init__(
        self,
        found_seconds: float = FOUND_SECONDS,
        known_seconds: float = KNOWN_SECONDS,
        max_found: int = MAX_FOUND,
        retry_seconds: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._found_seconds = found_seconds
        self._known_seconds = known_seconds
        self._max_found = max_found
        self._retry_seconds = retry_seconds
        self._failed_at: float | None = None
        self._clock = clock
        self._found: OrderedDict[str, tuple[float, TokenInfo]] = OrderedDict()
        self._known: frozenset[str] | None = None
        self._known_at = 0.0
        self._lock = threading.Lock()

    def lookup(self, secret_hash: str) -> TokenInfo | Literal[_Miss.MISS] | None:
        """The token found for `secret_hash`, None if it is known not to exist, else `MISS`."""
        now = self._clock()
        found = self._found.get(secret_hash)
        if found is not None and now - found[0] < self._found_seconds:
            return found[1]
        known = self._known
        fresh = known is not None and now - self._known_at < self._known_seconds
        if fresh and secret_hash[:PREFIX_LENGTH] not in known:  # type: ignore[operator]
            return None
        return MISS

    def knows_stored(self) -> bool:
        """Whether the set of stored hash prefixes is fresh (else reload it with `stored`)."""
        return self._known is not None and self._clock() - self._known_at < self._known_seconds

    def stored(self, prefixes: Iterable[str]) -> None:
        """The hash prefixes of every stored token, just read from storage."""
        known = frozenset(prefixes)
        with self._lock:
            self._known, self._known_at = known, self._clock()

    def last_known(self, secret_hash: str) -> TokenInfo | None:
        """The token last found for `secret_hash`, however long ago (for outages)."""
        found = self._found.get(secret_hash)
        return None if found is None else found[1]

    def storage_failed(self) -> None:
        """Storage did not answer a lookup just now."""
        self._failed_at = self._clock()

    def may_ask(self) -> bool:
        """Whether storage may be asked (no lookup failed in the last `retry_seconds`)."""
        failed = self._failed_at
        return failed is None or self._clock() - failed >= self._retry_seconds

    def forget(self, secret_hash: str) -> None:
        """Storage holds no token for `secret_hash` (any more)."""
        with self._lock:
            self._found.pop(secret_hash, None)

    def remember(self, secret_hash: str, token: TokenInfo) -> None:
        """Note the token storage found for `secret_hash`."""
        with self._lock:
            self._found[secret_hash] = (self._clock(), token)
            self._found.move_to_end(secret_hash)
            while len(self._found) > self._max_found:
                self._found.popitem(last=False)

    def issued(self, secret_hash: str) -> None:
        """A token was just stored under `secret_hash`: it exists from now on."""
        with self._lock:
            if self._known is not None:
                self._known = self._known | {secret_hash[:PREFIX_LENGTH]}

    def revoked(self, token: TokenInfo) -> None:
        """Remember `token`'s revocation wherever it is remembered."""
        with self._lock:
            for secret_hash, (at, held) in list(self._found.items()):
                if held.token_id == token.token_id:
                    self._found[secret_hash] = (at, token)
