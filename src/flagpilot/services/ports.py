"""The ports the services need from storage: repositories, a unit of work, the snapshot store.

Storage implements them with SQLAlchemy (`flagpilot.storage`); tests implement them with fakes.
A unit of work is one transaction: everything done through its repositories, including the
audit rows, commits together on `commit()` or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from flagpilot.core import FlagDefinition, FlagValue, RolloutStatus
from flagpilot.services.audit_entry import AuditEntry, AuditWriter
from flagpilot.services.stored_records import (
    AuditQuery,
    AuditRecord,
    EnvironmentRecord,
    FlagRecord,
    FlagSetting,
    OverrideRecord,
    OverrideScope,
    StoredState,
)

if TYPE_CHECKING:  # the rollout and token services import this module
    from flagpilot.services.rollouts.rollout_records import MetricRow, RolloutEventRecord, RolloutRecord
    from flagpilot.services.tokens import TokenInfo


class FlagRepository(Protocol):
    """Flag definitions."""

    def get(self, key: str) -> FlagRecord | None:
        """The flag `key`, archived or not, or None."""
        ...

    def list(self, *, include_archived: bool = True) -> list[FlagRecord]:
        """Every flag, ordered by key."""
        ...

    def requiring(self, key: str) -> tuple[str, ...]:
        """The keys of the unarchived flags that name `key` among their prerequisites, by key."""
        ...

    def add(self, definition: FlagDefinition) -> FlagRecord:
        """Store a new flag at version 1; raises `AlreadyExists` if the key is taken."""
        ...

    def save(self, definition: FlagDefinition, *, archived: bool, expected_version: int | None) -> FlagRecord:
        """Replace the flag's definition and bump its version.

        Raises `FlagNotFound`, or `VersionConflict` if `expected_version` is given and stale.
        """
        ...

    def touch(self, key: str, expected_version: int | None) -> int:
        """Bump the version of flag `key` (a change to its settings); return the new version.

        Raises `FlagNotFound`, or `VersionConflict` if `expected_version` is given and stale.
        """
        ...

    def touch_many(self, keys: Sequence[str]) -> None:
        """Bump the version of every flag of `keys` in one statement (a bulk action's change)."""
        ...


class EnvironmentRepository(Protocol):
    """Environments and each flag's settings (kill switch, value) in them."""

    def list(self) -> list[EnvironmentRecord]:
        """Every environment, ordered by name."""
        ...

    def get(self, name: str) -> EnvironmentRecord | None:
        """The environment `name`, or None."""
        ...

    def add(self, record: EnvironmentRecord) -> None:
        """Store a new environment; raises `AlreadyExists` if the name is taken."""
        ...

    def settings(self, flag_key: str) -> dict[str, FlagSetting]:
        """The settings of flag `flag_key`, by environment (environments without any: absent)."""
        ...

    def settings_in(self, environment: str) -> dict[str, FlagSetting]:
        """The settings of every flag in `environment`, by flag key."""
        ...

    def put_setting(self, setting: FlagSetting) -> None:
        """Create or replace a flag's settings in an environment."""
        ...

    def put_settings(self, settings: Sequence[FlagSetting]) -> None:
        """`put_setting` for each of `settings`, in one statement."""
        ...


class OverrideRepository(Protocol):
    """Customer and organization overrides; bulk operations are single round trips."""

    def get(
        self, scope: OverrideScope, flag_key: str, environment: str, subject_id: str
    ) -> OverrideRecord | None:
        """One override, or None."""
        ...

    def put_many(
        self,
        scope: OverrideScope,
        flag_key: str,
        environment: str,
        values: Mapping[str, FlagValue],
        *,
        reason: str,
        organization_id: str | None = None,
        created_by: str | None = None,
    ) -> None:
        """Create or replace overrides: subject id → value (customer rows get `organization_id`).

        `created_by` defaults to the unit of work's actor (an import keeps the original one).
        """
        ...

    def delete_many(
        self, scope: OverrideScope, flag_key: str, environment: str, subject_ids: Iterable[str] | None
    ) -> int:
        """Delete the given overrides (all of the flag in the environment if None); return how many."""
        ...

    def page(
        self,
        scope: OverrideScope,
        *,
        flag_key: str | None = None,
        environment: str | None = None,
        after: tuple[str, str, str] | None = None,
        limit: int = 100,
    ) -> list[OverrideRecord]:
        """Overrides ordered by (flag, environment, subject), those after the cursor `after`."""
        ...

    def counts(self, flag_key: str | None = None) -> dict[tuple[str, str, OverrideScope], int]:
        """How many overrides each (flag, environment, scope) has (of one flag, if given)."""
        ...


class RolloutRepository(Protocol):
    """The `feature_rollouts` table: the lifecycle's reads and guarded writes, and imports.

    Transitions change a row only through `update(record, expected_version)`, which runs
    `UPDATE ... WHERE ... AND version = :expected`: of two concurrent transitions exactly one
    matches and the other raises `VersionConflict`.
    """

    def get(self, feature_name: str, environment: str) -> RolloutRecord | None:
        """The rollout of a flag in an environment, or None."""
        ...

    def list(
        self,
        environment: str | None = None,
        statuses: Collection[RolloutStatus] | None = None,
        *,
        flag_key: str | None = None,
    ) -> list[RolloutRecord]:
        """Rollouts ordered by environment and flag, optionally of one environment, statuses or flag."""
        ...

    def add(self, record: RolloutRecord) -> RolloutRecord:
        """Insert `record` and return it with its id; `AlreadyExists` if one exists for the pair."""
        ...

    def update(self, record: RolloutRecord, expected_version: int) -> None:
        """Replace the stored row if its version is still `expected_version`.

        Raises:
            VersionConflict: the row changed since it was read (another writer won).
            RolloutNotFound: there is no such row.
        """
        ...

    def put(self, record: RolloutRecord) -> None:
        """Create or replace the rollout of `record.feature_name` in `record.environment` (imports)."""
        ...


class RolloutEventLog(Protocol):
    """The `rollout_events` table."""

    def add(self, event: RolloutEventRecord) -> None:
        """Append one transition."""
        ...

    def list(self, rollout_id: int, limit: int = 100) -> list[RolloutEventRecord]:
        """The rollout's most recent transitions, newest first."""
        ...


class MetricSink(Protocol):
    """Where flushed outcome counts go: additive upserts, so replicas' counts sum."""

    def add(self, rows: Sequence[MetricRow]) -> None:
        """Add each row's counts to the stored row with the same key (insert if absent).

        A SQL implementation runs `INSERT ... ON CONFLICT (rollout_id, minute, tier, cohort)
        DO UPDATE SET successes = successes + excluded.successes, errors = ...`.
        """
        ...


class MetricStore(MetricSink, Protocol):
    """The `rollout_metrics` table: per-minute aggregates, added to and read by window."""

    def read(self, rollout_id: int, since: datetime, until: datetime | None = None) -> list[MetricRow]:
        """Rows of `rollout_id` with `since <= minute < until` (no upper bound if None), by minute."""
        ...

    def read_many(self, since: Mapping[int, datetime]) -> dict[int, list[MetricRow]]:
        """For each rollout id in `since`, its rows from that minute on, by minute: one query."""
        ...


class TokenRepository(Protocol):
    """The `api_tokens` table: tokens under the hash of their secret (never the secret)."""

    def add(self, token: TokenInfo, secret_hash: str) -> None:
        """Store a new token under the hash of its secret."""
        ...

    def find_by_hash(self, secret_hash: str) -> TokenInfo | None:
        """The token whose secret hashes to `secret_hash`, revoked or not."""
        ...

    def hash_prefixes(self, length: int) -> set[str]:
        """The first `length` characters of every stored token's secret hash (one query)."""
        ...

    def get(self, token_id: str) -> TokenInfo | None:
        """The token with this id."""
        ...

    def all(self, organization_id: str | None = None) -> list[TokenInfo]:
        """Every token, or those of one organization, oldest first."""
        ...

    def set_revoked(self, token_id: str, at: datetime) -> None:
        """Store `at` as the token's revocation time."""
        ...


class AuditTrail(AuditWriter, Protocol):
    """The hash-chained audit trail: append, seal, read."""

    def record_many(self, entries: Sequence[AuditEntry]) -> None:
        """`record` each of `entries`, in order, in one statement (a bulk action's rows)."""
        ...

    def seal(self) -> int:
        """Chain the rows database triggers wrote (hash still null); return how many."""
        ...

    def query(self, query: AuditQuery) -> list[AuditRecord]:
        """Rows matching `query`, newest first."""
        ...

    def chain(self, after_id: int = 0, limit: int = 1000) -> list[AuditRecord]:
        """Rows in chain (id) order, those after `after_id`."""
        ...


class UnitOfWork(Protocol):
    """One transaction, with the repositories that work inside it.

    Use as `with factory(actor=...) as uow: ...; uow.commit()`: leaving the block without
    `commit()` rolls everything back, audit rows included.
    """

    @property
    def actor(self) -> str:
        """Who makes the changes (recorded in every audit row)."""
        ...

    @property
    def organization_id(self) -> str | None:
        """The organization the unit of work is confined to, or None for the service role."""
        ...

    @property
    def flags(self) -> FlagRepository: ...

    @property
    def environments(self) -> EnvironmentRepository: ...

    @property
    def overrides(self) -> OverrideRepository: ...

    @property
    def rollouts(self) -> RolloutRepository: ...

    @property
    def rollout_events(self) -> RolloutEventLog: ...

    @property
    def metrics(self) -> MetricStore: ...

    @property
    def tokens(self) -> TokenRepository: ...

    @property
    def audit(self) -> AuditTrail: ...

    def commit(self) -> None:
        """Make every change of this unit of work durable, atomically."""
        ...

    def rollback(self) -> None:
        """Discard every change of this unit of work."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Opens units of work.

    Args (of a call):
        actor: who makes the changes.
        organization_id: confine the unit of work to one organization's rows (on PostgreSQL
            enforced by row-level security), or None for the service role.
        read_only: a unit of work that only reads (cheaper; never blocks writers).
    """

    def __call__(
        self, actor: str, organization_id: str | None = None, *, read_only: bool = False
    ) -> UnitOfWork: ...


class SnapshotStore(Protocol):
    """Reads whole environments for snapshots, in a handful of bulk queries."""

    def load(self, environment: str) -> StoredState:
        """Every served flag of `environment` with the state version, read consistently.

        Raises `EnvironmentNotFound` or `StorageUnavailable`.
        """
        ...

    def load_all(self) -> list[StoredState]:
        """Every environment's served flags at one state version, read in one transaction, by
        environment name; raises `StorageUnavailable`."""
        ...

    def version(self) -> int:
        """The current state version (one cheap query); raises `StorageUnavailable`."""
        ...

    def environments(self) -> list[str]:
        """The names of every environment, sorted; raises `StorageUnavailable`."""
        ...


ChangeCallback = Callable[[int | None], None]
"""Called with the new state version, or None when a change may have been missed."""


class ChangeWatcher(Protocol):
    """Learns of changes other processes make (LISTEN on PostgreSQL, polling on SQLite)."""

    def start(self, on_change: ChangeCallback) -> None:
        """Start watching in a background thread; call `on_change` for every change seen."""
        ...

    def stop(self) -> None:
        """Stop watching and wait for the thread to end."""
        ...

    def healthy(self) -> bool | None:
        """Whether changes are known to arrive (None: this watcher cannot tell)."""
        ...
