"""The flag manager and audit log over a fresh database of each kind."""

from __future__ import annotations

import pytest

from flagpilot.core import FlagDefinition, FlagType
from flagpilot.services.audit import AuditLog
from flagpilot.services.flags import FlagManager
from flagpilot.storage import SqlUnitOfWorkFactory

ENVIRONMENTS = ("development", "staging", "production")


@pytest.fixture
def manager(uow_factory: SqlUnitOfWorkFactory) -> FlagManager:
    """A flag manager with three environments, a boolean flag `checkout` and a string flag `banner`."""
    flags = FlagManager(uow_factory)
    for name in ENVIRONMENTS:
        flags.create_environment(name, actor="setup")
    flags.create_flag(FlagDefinition(key="checkout", description="New checkout"), actor="setup")
    flags.create_flag(FlagDefinition(key="banner", type=FlagType.STRING, default="hello"), actor="setup")
    return flags


@pytest.fixture
def audit_log(uow_factory: SqlUnitOfWorkFactory) -> AuditLog:
    """The audit log of the same database."""
    return AuditLog(uow_factory)
