"""The relational schema: SQLAlchemy 2 models shared by SQLite and PostgreSQL.

Five tables keep the names the product was specified with (`feature_rollouts`, `rollout_events`,
`customer_feature_flags`, `organization_feature_flags`, `feature_flag_changes`); operators run
SQL against them as written, so their table and column names are a public contract. No other
table has "feature" in its name, so the checklist's `LIKE '%feature%'` lists only seed tables:
four of the five, since `rollout_events` (a seed name too) does not contain the word.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flagpilot.storage.types import UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints predictably."""

    metadata = MetaData(naming_convention=NAMING)


def _now() -> Any:
    return func.now()


def _created_at() -> Mapped[datetime]:
    return mapped_column(UtcDateTime(), server_default=_now(), comment="When the row was created.")


def _updated_at() -> Mapped[datetime]:
    return mapped_column(UtcDateTime(), server_default=_now(), comment="When the row last changed.")


def _surrogate_id() -> Mapped[int]:
    return mapped_column(Integer, primary_key=True, autoincrement=True, comment="Surrogate key.")


class Environment(Base):
    __tablename__ = "environments"
    __table_args__ = {"comment": "Deployment environments (development, staging, production, ...)."}

    name: Mapped[str] = mapped_column(String(64), primary_key=True, comment="Environment name.")
    description: Mapped[str] = mapped_column(Text, default="", comment="What the environment is for.")
    created_at: Mapped[datetime] = _created_at()


class Flag(Base):
    __tablename__ = "flags"
    __table_args__ = (
        Index("ix_flags_phase", "phase"),
        {"comment": "Flag definitions: key, type, default value, phase."},
    )

    key: Mapped[str] = mapped_column(String(128), primary_key=True, comment="Flag key.")
    type: Mapped[str] = mapped_column(
        String(16), default="bool", server_default="bool", comment="bool, string, number or json."
    )
    default_value: Mapped[Any] = mapped_column(JSON, comment="Value when nothing more specific applies.")
    phase: Mapped[int | None] = mapped_column(Integer, comment="Release phase 1, 2, 3 or null.")
    description: Mapped[str] = mapped_column(Text, default="", comment="What the flag controls.")
    prerequisites: Mapped[list[str]] = mapped_column(JSON, default=list, comment="Flags that must be on.")
    archived: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), comment="Archived flags are not served."
    )
    version: Mapped[int] = mapped_column(
        Integer, default=1, server_default="1", comment="Optimistic-concurrency version."
    )
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class FlagEnvironment(Base):
    __tablename__ = "flag_environments"
    __table_args__ = (
        Index("ix_flag_environments_environment", "environment"),
        {"comment": "A flag's kill switch and environment value in one environment."},
    )

    flag_key: Mapped[str] = mapped_column(
        ForeignKey("flags.key", ondelete="CASCADE"), primary_key=True, comment="Flag key."
    )
    environment: Mapped[str] = mapped_column(
        ForeignKey("environments.name", ondelete="CASCADE"), primary_key=True, comment="Environment."
    )
    killed: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), comment="Kill switch."
    )
    has_value: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), comment="Whether value is set."
    )
    value: Mapped[Any] = mapped_column(JSON, nullable=True, comment="Environment value.")
    updated_at: Mapped[datetime] = _updated_at()


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = {"comment": "Tenants. Row-level security: a tenant session sees its own row."}

    id: Mapped[str] = mapped_column(String(128), primary_key=True, comment="Organization id.")
    name: Mapped[str] = mapped_column(Text, default="", comment="Display name.")
    created_at: Mapped[datetime] = _created_at()


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_organization_id", "organization_id"),
        {"comment": "Customers (targeting keys), optionally in an organization."},
    )

    id: Mapped[str] = mapped_column(String(128), primary_key=True, comment="Customer id.")
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), comment="Owning organization."
    )
    name: Mapped[str] = mapped_column(Text, default="", comment="Display name.")
    created_at: Mapped[datetime] = _created_at()


class _OverrideColumns:
    """What both override tables hold after their subject columns, in the same order."""

    feature_name: Mapped[str] = mapped_column(
        ForeignKey("flags.key", ondelete="CASCADE"), comment="Flag key."
    )
    environment: Mapped[str] = mapped_column(
        ForeignKey("environments.name", ondelete="CASCADE"), comment="Environment."
    )
    enabled: Mapped[bool] = mapped_column(Boolean, comment="Boolean view of the value.")
    value: Mapped[Any] = mapped_column(JSON, comment="The override value (any flag type).")
    reason: Mapped[str] = mapped_column(Text, default="", comment="Why the override exists.")
    created_by: Mapped[str] = mapped_column(String(128), default="", comment="Actor.")
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class CustomerFeatureFlag(_OverrideColumns, Base):
    __tablename__ = "customer_feature_flags"
    __table_args__ = (
        UniqueConstraint("feature_name", "environment", "customer_id"),
        Index("ix_customer_feature_flags_customer_id", "customer_id"),
        Index("ix_customer_feature_flags_environment", "environment"),
        Index("ix_customer_feature_flags_organization_id", "organization_id"),
        {"comment": "Per-customer flag overrides (most specific after the kill switch)."},
    )

    id: Mapped[int] = _surrogate_id()
    customer_id: Mapped[str] = mapped_column(String(128), comment="Customer id (targeting key).")
    organization_id: Mapped[str | None] = mapped_column(
        String(128), comment="The customer's organization, for row-level security."
    )


class OrganizationFeatureFlag(_OverrideColumns, Base):
    __tablename__ = "organization_feature_flags"
    __table_args__ = (
        UniqueConstraint(
            "feature_name",
            "environment",
            "organization_id",
            name="uq_organization_feature_flags_flag_env_org",
        ),
        Index("ix_organization_feature_flags_organization_id", "organization_id"),
        Index("ix_organization_feature_flags_environment", "environment"),
        {"comment": "Per-organization flag overrides."},
    )

    id: Mapped[int] = _surrogate_id()
    organization_id: Mapped[str] = mapped_column(String(128), comment="Organization id.")


class FeatureRollout(Base):
    __tablename__ = "feature_rollouts"
    __table_args__ = (
        UniqueConstraint("feature_name", "environment"),
        Index("ix_feature_rollouts_status", "status"),
        Index("ix_feature_rollouts_environment", "environment"),
        {"comment": "Pilot rollouts: one per flag and environment, five tiers."},
    )

    id: Mapped[int] = _surrogate_id()
    feature_name: Mapped[str] = mapped_column(
        ForeignKey("flags.key", ondelete="CASCADE"), comment="Flag key."
    )
    environment: Mapped[str] = mapped_column(
        ForeignKey("environments.name", ondelete="CASCADE"), comment="Environment."
    )
    current_tier: Mapped[str] = mapped_column(
        String(32),
        default="tier_0_disabled",
        server_default="tier_0_disabled",
        comment="tier_0_disabled ... tier_4_full.",
    )
    percentage: Mapped[float] = mapped_column(
        Float, default=0.0, server_default="0", comment="Share of customers, 0-100."
    )
    status: Mapped[str] = mapped_column(
        String(16),
        default="planned",
        server_default="planned",
        comment="planned, active, paused, completed, rolled_back.",
    )
    whitelisted_customers: Mapped[list[str]] = mapped_column(
        JSON,
        default=list,
        server_default="[]",
        comment="Customers who get the feature while the rollout serves.",
    )
    error_rate_threshold: Mapped[float] = mapped_column(
        Float, default=0.05, comment="Automatic rollback above this error rate."
    )
    time_window_ms: Mapped[int] = mapped_column(
        BigInteger, default=3_600_000, comment="Window over which the error rate is judged (ms)."
    )
    min_dwell_seconds: Mapped[int] = mapped_column(
        Integer, default=172_800, comment="Minimum time in a tier before advancing."
    )
    min_events: Mapped[int] = mapped_column(
        Integer, default=100, comment="Minimum outcome events in a tier before advancing."
    )
    tier_started_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), comment="When the current tier began."
    )
    rollback_reason: Mapped[str | None] = mapped_column(Text, comment="Why it was rolled back.")
    version: Mapped[int] = mapped_column(
        Integer, default=1, server_default="1", comment="Optimistic-concurrency version."
    )
    created_by: Mapped[str] = mapped_column(String(128), default="", comment="Actor.")
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class RolloutEvent(Base):
    __tablename__ = "rollout_events"
    __table_args__ = (
        Index("ix_rollout_events_rollout_id_created_at", "rollout_id", "created_at"),
        Index("ix_rollout_events_feature_name", "feature_name"),
        {"comment": "Rollout lifecycle transitions (created, started, advanced, rolled back, ...)."},
    )

    id: Mapped[int] = _surrogate_id()
    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("feature_rollouts.id", ondelete="CASCADE"), comment="The rollout."
    )
    feature_name: Mapped[str] = mapped_column(String(128), comment="Flag key.")
    event_type: Mapped[str] = mapped_column(String(32), comment="created, started, advanced, ...")
    from_tier: Mapped[str | None] = mapped_column(String(32), comment="Tier before.")
    to_tier: Mapped[str | None] = mapped_column(String(32), comment="Tier after.")
    from_status: Mapped[str | None] = mapped_column(String(16), comment="Status before.")
    to_status: Mapped[str | None] = mapped_column(String(16), comment="Status after.")
    actor: Mapped[str] = mapped_column(String(128), default="", comment="Who or what did it.")
    reason: Mapped[str] = mapped_column(Text, default="", comment="Why.")
    details: Mapped[Any] = mapped_column(JSON, nullable=True, comment="Evidence, forced gates, ...")
    created_at: Mapped[datetime] = _created_at()


class RolloutMetric(Base):
    __tablename__ = "rollout_metrics"
    __table_args__ = {"comment": "Outcome events aggregated per rollout, minute, tier and cohort."}

    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("feature_rollouts.id", ondelete="CASCADE"), primary_key=True, comment="The rollout."
    )
    minute: Mapped[datetime] = mapped_column(
        UtcDateTime(), primary_key=True, comment="Start of the minute (UTC)."
    )
    tier: Mapped[str] = mapped_column(String(32), primary_key=True, comment="Tier at the time.")
    cohort: Mapped[str] = mapped_column(String(16), primary_key=True, comment="treatment or control.")
    successes: Mapped[int] = mapped_column(BigInteger, default=0, comment="Success outcomes.")
    errors: Mapped[int] = mapped_column(BigInteger, default=0, comment="Error outcomes.")


class FeatureFlagChange(Base):
    __tablename__ = "feature_flag_changes"
    __table_args__ = (
        Index("ix_feature_flag_changes_feature_name_changed_at", "feature_name", "changed_at"),
        Index("ix_feature_flag_changes_actor_changed_at", "actor", "changed_at"),
        Index("ix_feature_flag_changes_changed_at", "changed_at"),
        Index(
            "ix_feature_flag_changes_unsealed",
            "id",
            sqlite_where=text("hash IS NULL"),
            postgresql_where=text("hash IS NULL"),
        ),
        {"comment": "Audit trail of every change; each row's hash chains to the previous row."},
    )

    id: Mapped[int] = _surrogate_id()
    changed_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=_now(), comment="When."
    )
    actor: Mapped[str] = mapped_column(String(128), comment="Who ('database' for direct SQL).")
    action: Mapped[str] = mapped_column(String(64), comment="What kind of change.")
    feature_name: Mapped[str | None] = mapped_column(String(128), comment="Flag key, if any.")
    environment: Mapped[str | None] = mapped_column(String(64), comment="Environment, if any.")
    scope: Mapped[str] = mapped_column(
        String(32), comment="flag, environment, organization, customer, rollout, token, ..."
    )
    subject_id: Mapped[str | None] = mapped_column(String(128), comment="Customer/org/token id.")
    before_value: Mapped[str | None] = mapped_column(Text, comment="JSON before the change.")
    after_value: Mapped[str | None] = mapped_column(Text, comment="JSON after the change.")
    reason: Mapped[str] = mapped_column(Text, default="", comment="Why.")
    prev_hash: Mapped[str | None] = mapped_column(String(64), comment="Hash of the previous row.")
    hash: Mapped[str | None] = mapped_column(
        String(64), comment="sha256 over this row and prev_hash; null until sealed."
    )


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (
        Index("ix_api_tokens_organization_id", "organization_id"),
        {"comment": "Bearer API tokens, stored as sha256 hashes."},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="Public token id.")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="sha256 of the secret.")
    kind: Mapped[str] = mapped_column(String(16), comment="admin, editor, viewer, server-sdk or client-sdk.")
    name: Mapped[str] = mapped_column(Text, default="", comment="Label.")
    organization_id: Mapped[str | None] = mapped_column(String(128), comment="Scope, if any.")
    environment: Mapped[str | None] = mapped_column(String(64), comment="SDK tokens: environment.")
    created_by: Mapped[str] = mapped_column(String(128), default="", comment="Actor.")
    hint: Mapped[str] = mapped_column(
        String(32),
        default="",
        server_default="",
        comment="The first characters of the secret, to tell tokens apart.",
    )
    created_at: Mapped[datetime] = _created_at()
    last_used_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), comment="When the token was last presented."
    )
    revoked_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), comment="When the token was revoked; null while valid."
    )


class User(Base):
    __tablename__ = "users"
    __table_args__ = {"comment": "Admin UI users."}

    id: Mapped[int] = _surrogate_id()
    email: Mapped[str] = mapped_column(String(320), unique=True, comment="Login.")
    display_name: Mapped[str] = mapped_column(Text, default="", comment="Name shown in the audit trail.")
    password_hash: Mapped[str] = mapped_column(Text, default="", comment="argon2id hash.")
    role: Mapped[str] = mapped_column(String(16), default="viewer", comment="admin, editor or viewer.")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, comment="Disabled users cannot log in.")
    created_at: Mapped[datetime] = _created_at()


class UiSession(Base):
    __tablename__ = "ui_sessions"
    __table_args__ = {
        "comment": "Signed-in admin UI browsers; the cookie holds the secret, this row its hash."
    }

    session_hash: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="SHA-256 of the session cookie's secret."
    )
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, comment="Who signed in."
    )
    csrf_token: Mapped[str] = mapped_column(
        String(64), comment="The token every form of this session carries."
    )
    created_at: Mapped[datetime] = _created_at()
    expires_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), comment="After this the session is refused."
    )


class StateVersion(Base):
    __tablename__ = "state_version"
    __table_args__ = {"comment": "One row: the version of flag state, bumped by triggers on every change."}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Always 1.")
    version: Mapped[int] = mapped_column(
        BigInteger, default=0, server_default="0", comment="Snapshot version."
    )


class AppTransaction(Base):
    __tablename__ = "app_transactions"
    __table_args__ = {
        "comment": "Marker rows the application writes (and deletes) inside its own write "
        "transactions, so triggers can tell its changes from direct SQL."
    }

    id: Mapped[int] = _surrogate_id()
    actor: Mapped[str] = mapped_column(String(128), default="", comment="Who runs the transaction.")


class AlertAcknowledgement(Base):
    __tablename__ = "alert_acknowledgements"
    __table_args__ = {"comment": "Rollout alerts someone has seen; the first acknowledgement is kept."}

    alert_id: Mapped[str] = mapped_column(
        String(255), primary_key=True, comment="The alert's deterministic id."
    )
    acknowledged_by: Mapped[str] = mapped_column(String(128), comment="Actor who acknowledged it.")
    acknowledged_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now(), comment="When.")


class LoginFailure(Base):
    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_login_failed_at", "login", "failed_at"),
        Index("ix_login_failures_failed_at", "failed_at"),
        {
            "comment": "Recent failed admin UI sign-ins, for the throttle every replica applies; "
            "rows older than the throttle's window are deleted."
        },
    )

    id: Mapped[int] = _surrogate_id()
    login: Mapped[str] = mapped_column(String(320), comment="The user name tried.")
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), comment="When the sign-in failed.")


class FlagEvaluation(Base):
    __tablename__ = "flag_evaluations"
    __table_args__ = {"comment": "How often and how recently each flag was evaluated, for the stale mark."}

    flag_key: Mapped[str] = mapped_column(String(128), primary_key=True, comment="Flag key.")
    environment: Mapped[str] = mapped_column(String(64), primary_key=True, comment="Environment name.")
    evaluations: Mapped[int] = mapped_column(
        BigInteger,
        default=0,
        server_default="0",
        comment="Evaluations counted by the serving routes (every replica adds its own).",
    )
    last_evaluated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), comment="When a replica last flushed an evaluation of the flag here."
    )
