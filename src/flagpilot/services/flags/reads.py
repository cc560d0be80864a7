"""Reads for the admin API: flags with their state in every environment, and override pages."""

from __future__ import annotations

from flagpilot.services.flags.checks import require_flag
from flagpilot.services.flags.read_models import (
    EnvironmentState,
    FlagView,
    OverridePage,
    decode_cursor,
    encode_cursor,
)
from flagpilot.services.flags.units import FlagUnits
from flagpilot.services.ports import UnitOfWork
from flagpilot.services.stored_records import EnvironmentRecord, FlagRecord, OverrideScope

MAX_PAGE = 1000


def _views(uow: UnitOfWork, records: list[FlagRecord], single: str | None = None) -> list[FlagView]:
    environments = [env.name for env in uow.environments.list()]
    if single is not None:
        per_flag = uow.environments.settings(single)
        settings = {(single, env): setting for env, setting in per_flag.items()}
    else:
        settings = {
            (key, env): setting
            for env in environments
            for key, setting in uow.environments.settings_in(env).items()
        }
    rollouts = {(r.feature_name, r.environment): r for r in uow.rollouts.list(flag_key=single)}
    counts = uow.overrides.counts(flag_key=single)
    views = []
    for record in records:
        states = {
            env: EnvironmentState(
                environment=env,
                setting=settings.get((record.key, env)),
                rollout=rollouts.get((record.key, env)),
                customer_overrides=counts.get((record.key, env, OverrideScope.CUSTOMER), 0),
                organization_overrides=counts.get((record.key, env, OverrideScope.ORGANIZATION), 0),
            )
            for env in environments
        }
        views.append(FlagView(record=record, environments=states))
    return views



def flag_view(uow: UnitOfWork, key: str) -> FlagView:
    """Flag `key` as `uow` sees it: a writer reads its own change (and version) before it commits,
    which a read after the commit cannot promise once another writer has committed in between."""
    return _views(uow, [require_flag(uow, key)], single=key)[0]

class FlagReads:
    """The read side of the flag services: each read is one read-only unit of work."""

    def __init__(self, units: FlagUnits) -> None:
        self._units = units

    def list_environments(self) -> list[EnvironmentRecord]:
        """Every environment, by name."""
        with self._units.read() as uow:
            return uow.environments.list()

    def list_flags(self, *, include_archived: bool = False) -> list[FlagView]:
        """Every flag with each environment's state, overrides count and rollout, by key."""
        with self._units.read() as uow:
            return _views(uow, uow.flags.list(include_archived=include_archived))

    def get_flag(self, key: str) -> FlagView:
        """One flag with its state in every environment; `FlagNotFound` if there is none."""
        with self._units.read() as uow:
            return flag_view(uow, key)

    def list_overrides(
        self,
        key: str,
        scope: OverrideScope,
        *,
        environment: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
        organization_id: str | None = None,
    ) -> OverridePage:
        """One page of a flag's overrides, ordered by environment and subject.

        Args:
            key: the flag.
            scope: customer or organization overrides.
            environment: only this environment's.
            cursor: `next_cursor` of the previous page.
            limit: page size (at most 1000).
            organization_id: read as this organization (sees only its own overrides).
        """
        after = None if cursor is None else decode_cursor(cursor)
        size = max(1, min(limit, MAX_PAGE))
        with self._units.read(organization_id) as uow:
            require_flag(uow, key)
            items = uow.overrides.page(
                scope, flag_key=key, environment=environment, after=after, limit=size + 1
            )
        more = len(items) > size
        items = items[:size]
        return OverridePage(tuple(items), encode_cursor(items[-1]) if more else None)
