"""The token service answers from memory: found tokens for a few seconds, unknown secrets from the
set of stored hash prefixes, and known tokens through a storage outage."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from flagpilot.services.auth import NOT_REMEMBERED, Principal, TokenKind
from flagpilot.services.errors import StorageUnavailable
from flagpilot.services.token_cache import TokenCache
from flagpilot.services.tokens import TokenInfo, TokenService
from tests.fakes.tokens import InMemoryTokenStore

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class CountingStore(InMemoryTokenStore):
    """The in-memory store, counting the lookups that would be queries, and able to go down."""

    def __init__(self) -> None:
        super().__init__()
        self.queries = 0
        self.down = False

    def find_by_hash(self, secret_hash: str) -> TokenInfo | None:
        self._ask()
        return super().find_by_hash(secret_hash)

    def hash_prefixes(self, length: int) -> set[str]:
        self._ask()
        return super().hash_prefixes(length)

    def _ask(self) -> None:
        if self.down:
            raise StorageUnavailable("the database is down")
        self.queries += 1


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _service(store: CountingStore, clock: Clock) -> TokenService:
    return TokenService(store, clock=lambda: NOW, cache=TokenCache(clock=clock))


def test_random_bad_secrets__cost_one_query_per_few_seconds(store: CountingStore, clock: Clock) -> None:
    service = _service(store, clock)
    service.create(TokenKind.CLIENT_SDK, None, None, "widget", "alice")
    store.queries = 0

    answers = []
    for _ in range(10_000):
        answers.append(service.authenticate(f"fp_client-sdk_{secrets.token_urlsafe(32)}"))
        clock.now += 0.001  # 10 s in all
    assert answers == [None] * 10_000
    assert store.queries <= 3


def test_a_found_token__is_served_from_memory_until_it_expires(store: CountingStore, clock: Clock) -> None:
    service = _service(store, clock)
    _, secret = service.create(TokenKind.ADMIN, None, None, "ops", "alice")
    assert service.authenticate(secret) is not None
    asked = store.queries

    for _ in range(100):
        assert service.authenticate(secret) is not None
    assert store.queries == asked
    clock.now += 6
    assert service.authenticate(secret) is not None
    assert store.queries > asked


def test_revocation_in_another_replica__takes_effect_within_the_bound(
    store: CountingStore, clock: Clock
) -> None:
    # Given: two replicas over one store, both having seen the token
    here, there = _service(store, clock), _service(store, clock)
    info, secret = here.create(TokenKind.SERVER_SDK, None, None, "backend", "alice")
    assert here.authenticate(secret) is not None
    assert there.authenticate(secret) is not None

    # When
    here.revoke(info.token_id, "bob")

    # Then: at once here, within five seconds there
    assert here.authenticate(secret) is None
    clock.now += 5.0
    assert there.authenticate(secret) is None


def test_a_token_issued_in_another_replica__is_recognised_within_the_bound(
    store: CountingStore, clock: Clock
) -> None:
    here, there = _service(store, clock), _service(store, clock)
    assert there.authenticate("fp_admin_not-yet") is None  # `there` now knows the stored hashes

    _, secret = here.create(TokenKind.ADMIN, None, None, "ops", "alice")

    clock.now += 5.0
    assert there.authenticate(secret) is not None


def test_outage__a_known_token_keeps_authenticating_from_memory(store: CountingStore, clock: Clock) -> None:
    service = _service(store, clock)
    info, secret = service.create(TokenKind.CLIENT_SDK, None, None, "widget", "alice")
    assert service.authenticate(secret) is not None

    store.down = True
    clock.now += 600

    principal = service.authenticate(secret)
    assert principal is not None
    assert principal.token_id == info.token_id
    with pytest.raises(StorageUnavailable):  # a secret never seen cannot be judged
        service.authenticate("fp_admin_never-seen")


def test_recall__answers_from_memory_only(store: CountingStore, clock: Clock) -> None:
    service = _service(store, clock)
    _, secret = service.create(TokenKind.ADMIN, None, None, "ops", "alice")
    store.queries = 0

    assert service.recall(secret) is NOT_REMEMBERED
    assert service.authenticate(secret) is not None
    assert service.recall(secret) is not None
    assert service.recall("fp_admin_unknown") is None  # not among the stored hashes
    assert store.queries == 2


def test_recall__of_one_token__is_one_principal_made_once(store: CountingStore, clock: Clock) -> None:
    service = _service(store, clock)
    info, secret = service.create(TokenKind.SERVER_SDK, "org-a", "staging", "checkout", "alice")
    assert service.authenticate(secret) is not None

    first, again = service.recall(secret), service.recall(secret)

    assert first == Principal(info.token_id, TokenKind.SERVER_SDK, "org-a", "staging")
    assert again is first


class SlowStore(CountingStore):
    """A store whose lookups wait until released: a database that hangs."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.hanging = False

    def find_by_hash(self, secret_hash: str) -> TokenInfo | None:
        if self.hanging:
            self.release.wait(10)
        return super().find_by_hash(secret_hash)


def _eventually(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + 5
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_recall__an_expired_known_token__is_answered_at_once_and_checked_in_the_background(
    clock: Clock,
) -> None:
    # Given: a token found once, whose few seconds are up, and a database that hangs
    store = SlowStore()
    service = _service(store, clock)
    _, secret = service.create(TokenKind.CLIENT_SDK, None, None, "widget", "alice")
    assert service.authenticate(secret) is not None
    clock.now += 6
    store.hanging = True
    asked = store.queries

    # When: the event loop's path asks, many times
    answers = [service.recall(secret) for _ in range(100)]

    # Then: each is answered from memory, and one check waits on storage meanwhile
    assert all(a is not None and a is not NOT_REMEMBERED for a in answers)
    assert [t.name for t in threading.enumerate()].count("flagpilot-token-check") == 1
    store.release.set()
    assert _eventually(lambda: store.queries == asked + 1)


def test_recall__a_revocation_found_by_the_background_check__takes_effect(
    store: CountingStore, clock: Clock
) -> None:
    here, there = _service(store, clock), _service(store, clock)
    info, secret = here.create(TokenKind.SERVER_SDK, None, None, "backend", "alice")
    assert there.authenticate(secret) is not None
    here.revoke(info.token_id, "bob")
    clock.now += 6

    assert there.recall(secret) is not None  # what it knew, while it checks
    assert _eventually(lambda: there.recall(secret) is None)


def test_outage__storage_is_left_alone_for_a_moment_after_it_failed(
    store: CountingStore, clock: Clock
) -> None:
    service = _service(store, clock)
    _, secret = service.create(TokenKind.CLIENT_SDK, None, None, "widget", "alice")
    assert service.authenticate(secret) is not None
    store.down = True
    clock.now += 6
    assert service.authenticate(secret) is not None  # asked, failed, answered from memory

    store.down = False
    asked = store.queries
    assert service.authenticate(secret) is not None
    assert store.queries == asked  # within the retry pause: memory only
    clock.now += 1.0
    assert service.authenticate(secret) is not None
    assert store.queries > asked

