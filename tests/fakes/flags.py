"""The whole unit of work in memory: flags, environments, settings and overrides beside the rollouts.

`InMemoryStore` extends the rollout store with working flag, environment and override
repositories, so the flag services run without a database. A unit of work edits private copies
and `commit()` applies them at once; a flag whose version moved since the unit of work read it
makes the commit raise `VersionConflict`, as the SQL `UPDATE ... WHERE version = :expected`
would. Confined units of work (an `organization_id`) see and write only that organization's
overrides, as row-level security does on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from flagpilot.core import FlagDefinition, FlagValue
from flagpilot.services.clock import utc_now
from flagpilot.services.errors import AlreadyExists, FlagNotFound, VersionConflict
from flagpilot.services.stored_records import (
    EnvironmentRecord,
    FlagRecord,
    FlagSetting,
    OverrideRecord,
    OverrideScope,
)
from tests.fakes.rollouts import InMemoryRolloutStore, InMemoryUnitOfWork

OverrideKey = tuple[OverrideScope, str, str, str]


class InMemoryStore(InMemoryRolloutStore):
    """Every table family in memory; a `UnitOfWorkFactory` for the flag and rollout services.

    Args:
        flags: flags that exist from the start (default: none).
        environments: environments that exist from the start (default: none).
    """

    def __init__(
        self,
        flags: Iterable[FlagDefinition | FlagRecord] = (),
        environments: Iterable[str] = (),
    ) -> None:
        super().__init__(flags=flags, environments=environments)
        self.settings: dict[tuple[str, str], FlagSetting] = {}
        self.overrides: dict[OverrideKey, OverrideRecord] = {}
        self.commits = 0

    def __call__(
        self, actor: str, organization_id: str | None = None, *, read_only: bool = False
    ) -> InMemoryStoreUnitOfWork:
        """A unit of work over this store, acting as `actor`."""
        return InMemoryStoreUnitOfWork(self, actor, organization_id)


class InMemoryStoreUnitOfWork(InMemoryUnitOfWork):
    """One transaction over an `InMemoryStore`: the rollout unit of work plus the flag tables."""

    def __init__(self, store: InMemoryStore, actor: str, organization_id: str | None = None) -> None:
        super().__init__(store, actor, organization_id)
        self.whole = store
        with store.lock:
            self.flag_rows = dict(store.flags)
            self.environment_rows = dict(store.environments)
            self.setting_rows = dict(store.settings)
            self.override_rows = dict(store.overrides)
        self.read_versions = {key: record.version for key, record in self.flag_rows.items()}
        self.flags = _Flags(self)  # type: ignore[assignment]
        self.environments = _Environments(self)  # type: ignore[assignment]
        self.overrides = _Overrides(self)

    def commit(self) -> None:
        """Apply the flag tables' changes and the rollout side's at once, or raise and apply none."""
        store = self.whole
        with store.lock:
            for key, version in self.read_versions.items():
                current = store.flags.get(key)
                mine = self.flag_rows.get(key)
                changed = mine is not None and mine.version != version
                if changed and current is not None and current.version != version:
                    raise VersionConflict(f"flag {key!r} changed since it was read", current.version)
            super().commit()
            store.flags.clear()
            store.flags.update(self.flag_rows)
            store.environments.clear()
            store.environments.update(self.environment_rows)
            store.settings.clear()
            store.settings.update(self.setting_rows)
            store.overrides.clear()
            store.overrides.update(self.override_rows)
            store.commits += 1

    def rollback(self) -> None:
        """Discard every change: the copies start again from what is committed."""
        store = self.whole
        with store.lock:
            self.flag_rows = dict(store.flags)
            self.environment_rows = dict(store.environments)
            self.setting_rows = dict(store.settings)
            self.override_rows = dict(store.overrides)
        self.staged.clear()
        self.staged_audit.clear()


class _Flags:
    def __init__(self, uow: InMemoryStoreUnitOfWork) -> None:
        self._uow = uow

    def get(self, key: str) -> FlagRecord | None:
        return self._uow.flag_rows.get(key)

    def list(self, *, include_archived: bool = True) -> list[FlagRecord]:
        return [
            record
            for _, record in sorted(self._uow.flag_rows.items())
            if include_archived or not record.archived
        ]

    def requiring(self, key: str) -> tuple[str, ...]:
        return tuple(
            other.key
            for other in self.list(include_archived=False)
            if key in other.definition.prerequisites
        )

    def add(self, definition: FlagDefinition) -> FlagRecord:
        if definition.key in self._uow.flag_rows:
            raise AlreadyExists(f"flag {definition.key!r} already exists")
        now = utc_now()
        record = FlagRecord(definition, version=1, created_at=now, updated_at=now)
        self._uow.flag_rows[definition.key] = record
        return record

    def _bump(self, key: str, expected_version: int | None, **changes: Any) -> FlagRecord:
        current = self._uow.flag_rows.get(key)
        if current is None:
            raise FlagNotFound(f"flag {key!r} does not exist")
        if expected_version is not None and current.version != expected_version:
            raise VersionConflict(
                f"flag {key!r} is at version {current.version}, not {expected_version}",
                current_version=current.version,
            )
        saved = replace(current, version=current.version + 1, updated_at=utc_now(), **changes)
        self._uow.flag_rows[key] = saved
        return saved

    def save(self, definition: FlagDefinition, *, archived: bool, expected_version: int | None) -> FlagRecord:
        return self._bump(definition.key, expected_version, definition=definition, archived=archived)

    def touch(self, key: str, expected_version: int | None) -> int:
        return self._bump(key, expected_version).version

    def touch_many(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._bump(key, None)


class _Environments:
    def __init__(self, uow: InMemoryStoreUnitOfWork) -> None:
        self._uow = uow

    def list(self) -> list[EnvironmentRecord]:
        return [record for _, record in sorted(self._uow.environment_rows.items())]

    def get(self, name: str) -> EnvironmentRecord | None:
        return self._uow.environment_rows.get(name)

    def add(self, record: EnvironmentRecord) -> None:
        if record.name in self._uow.environment_rows:
            raise AlreadyExists(f"environment {record.name!r} already exists")
        self._uow.environment_rows[record.name] = record

    def settings(self, flag_key: str) -> dict[str, FlagSetting]:
        return {env: s for (key, env), s in self._uow.setting_rows.items() if key == flag_key}

    def settings_in(self, environment: str) -> dict[str, FlagSetting]:
        return {key: s for (key, env), s in self._uow.setting_rows.items() if env == environment}

    def put_setting(self, setting: FlagSetting) -> None:
        self._uow.setting_rows[(setting.flag_key, setting.environment)] = setting

    def put_settings(self, settings: Sequence[FlagSetting]) -> None:
        for setting in settings:
            self.put_setting(setting)


class _Overrides:
    def __init__(self, uow: InMemoryStoreUnitOfWork) -> None:
        self._uow = uow

    def _visible(self, record: OverrideRecord) -> bool:
        confined = self._uow.organization_id
        return confined is None or record.organization_id == confined

    def get(
        self, scope: OverrideScope, flag_key: str, environment: str, subject_id: str
    ) -> OverrideRecord | None:
        record = self._uow.override_rows.get((scope, flag_key, environment, subject_id))
        return record if record is not None and self._visible(record) else None

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
        for subject, value in values.items():
            owner = subject if scope is OverrideScope.ORGANIZATION else organization_id
            self._uow.override_rows[(scope, flag_key, environment, subject)] = OverrideRecord(
                scope,
                flag_key,
                environment,
                subject,
                value,
                organization_id=owner,
                reason=reason,
                created_by=self._uow.actor if created_by is None else created_by,
                updated_at=utc_now(),
            )

    def delete_many(
        self, scope: OverrideScope, flag_key: str, environment: str, subject_ids: Iterable[str] | None
    ) -> int:
        wanted = None if subject_ids is None else set(subject_ids)
        doomed = [
            key
            for key, record in self._uow.override_rows.items()
            if key[:3] == (scope, flag_key, environment)
            and (wanted is None or key[3] in wanted)
            and self._visible(record)
        ]
        for key in doomed:
            del self._uow.override_rows[key]
        return len(doomed)

    def page(
        self,
        scope: OverrideScope,
        *,
        flag_key: str | None = None,
        environment: str | None = None,
        after: tuple[str, str, str] | None = None,
        limit: int = 100,
    ) -> list[OverrideRecord]:
        rows = sorted(
            (key[1:], record)
            for key, record in self._uow.override_rows.items()
            if key[0] is scope
            and (flag_key is None or key[1] == flag_key)
            and (environment is None or key[2] == environment)
            and (after is None or key[1:] > after)
            and self._visible(record)
        )
        return [record for _, record in rows[: max(1, limit)]]

    def counts(self, flag_key: str | None = None) -> dict[tuple[str, str, OverrideScope], int]:
        counted: dict[tuple[str, str, OverrideScope], int] = {}
        for (scope, key, environment, _), record in self._uow.override_rows.items():
            if (flag_key is None or key == flag_key) and self._visible(record):
                counted[(key, environment, scope)] = counted.get((key, environment, scope), 0) + 1
        return counted
