"""A flag manager over the in-memory unit of work: three environments, a boolean and a string flag."""

from __future__ import annotations

import pytest

from flagpilot.core import FlagDefinition, FlagType
from flagpilot.services.flags import FlagManager
from tests.fakes.flags import InMemoryStore

ENVIRONMENTS = ("development", "staging", "production")


@pytest.fixture
def store() -> InMemoryStore:
    """The tables the manager writes, for the test to look at."""
    return InMemoryStore()


@pytest.fixture
def manager(store: InMemoryStore) -> FlagManager:
    """`checkout` (boolean) and `banner` (string, default "hello") in three environments."""
    flags = FlagManager(store)
    for name in ENVIRONMENTS:
        flags.create_environment(name, actor="setup")
    flags.create_flag(FlagDefinition(key="checkout", description="New checkout"), actor="setup")
    flags.create_flag(FlagDefinition(key="banner", type=FlagType.STRING, default="hello"), actor="setup")
    store.audit_rows.clear()
    return flags
