"""A rollout manager and a container over a fresh database of each kind, with the preset's flags."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from flagpilot.presets import ROLLOUT_FLAGS
from flagpilot.server import Container, build_container
from flagpilot.services.rollouts import RolloutManager
from flagpilot.settings import Settings
from flagpilot.storage import SqlUnitOfWorkFactory
from tests.integration.builders import add_flags

FLAG = "phase2_enhanced_storage"
NOW = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def rollouts(uow_factory: SqlUnitOfWorkFactory) -> RolloutManager:
    """The rollout manager over the SQL units of work, with the six rollout flags stored."""
    add_flags(uow_factory, ROLLOUT_FLAGS)
    return RolloutManager(uow_factory)


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    """A container on the test database (not started), with the six rollout flags stored."""
    with build_container(Settings(database_url=database_url)) as built:
        add_flags(built.uow_factory, ROLLOUT_FLAGS)
        yield built
