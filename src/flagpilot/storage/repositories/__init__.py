"""Repositories: the services' storage ports over SQLAlchemy Core, one connection each."""

from flagpilot.storage.repositories.flags import SqlEnvironmentRepository, SqlFlagRepository
from flagpilot.storage.repositories.overrides import SqlOverrideRepository
from flagpilot.storage.repositories.rollouts import SqlRolloutRepository
from flagpilot.storage.repositories.tokens import SqlTokenRepository

__all__ = [
    "SqlEnvironmentRepository",
    "SqlFlagRepository",
    "SqlOverrideRepository",
    "SqlRolloutRepository",
    "SqlTokenRepository",
]
