"""The adapters to the outside: persistence (SQLAlchemy models, repositories, unit of work, Alembic
migrations) and what else talks to PostgreSQL or HTTP — the leader election (`leader`), the
query timer (`query_metrics`) and the webhook client (`webhook_http`).

Nothing here runs at import time: engines come from `build_engine`, units of work from a
`SqlUnitOfWorkFactory`, and the schema from `flagpilot.storage.migrate`.
"""

from flagpilot.storage import migrate
from flagpilot.storage.audit import SqlAuditTrail
from flagpilot.storage.engine import build_engine, is_postgresql, is_sqlite, libpq_url
from flagpilot.storage.repositories import (
    SqlEnvironmentRepository,
    SqlFlagRepository,
    SqlOverrideRepository,
    SqlRolloutRepository,
)
from flagpilot.storage.uow import TENANT_ROLE, SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "TENANT_ROLE",
    "SqlAuditTrail",
    "SqlEnvironmentRepository",
    "SqlFlagRepository",
    "SqlOverrideRepository",
    "SqlRolloutRepository",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "build_engine",
    "is_postgresql",
    "is_sqlite",
    "libpq_url",
    "migrate",
]
