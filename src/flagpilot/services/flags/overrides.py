"""Customer and organization overrides, one at a time or tens of thousands in one call.

A bulk call is one transaction with batched upserts and one audit row that lists the count, so
overriding a flag for 10,000 customers costs a few statements, not 10,000 round trips.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from flagpilot.core import FlagValue, Problem, check_value
from flagpilot.services.audit_chain import state_json
from flagpilot.services.contention import retry_on_contention
from flagpilot.services.errors import PermissionDenied
from flagpilot.services.flags.checks import raise_problems, require_environment, require_flag
from flagpilot.services.flags.read_models import SubjectValues
from flagpilot.services.flags.units import FlagUnits, audit_change
from flagpilot.services.ports import UnitOfWork
from flagpilot.services.stored_records import OverrideRecord, OverrideScope

MAX_PROBLEMS = 20
SAMPLE = 10

SUBJECT_ID_MAX = 128
"""The longest customer or organization id an override may name."""


def _field(scope: OverrideScope, subject: str) -> str:
    return f"{scope.value}Overrides[{subject}]"


def _check_subjects(key: str, scope: OverrideScope, subjects: Iterable[Any]) -> None:
    raise_problems(
        [
            Problem(
                key,
                f"{scope.value}Id",
                f"{subject!r} must be a non-empty id of at most {SUBJECT_ID_MAX} characters",
            )
            for subject in subjects
            if not isinstance(subject, str) or not subject.strip() or len(subject) > SUBJECT_ID_MAX
        ][:MAX_PROBLEMS]
    )


def _check_scope(scope: OverrideScope, subjects: Iterable[str], organization_id: str | None) -> None:
    if organization_id is None or scope is not OverrideScope.ORGANIZATION:
        return
    others = sorted({s for s in subjects if s != organization_id})
    if others:
        raise PermissionDenied(f"organization {organization_id!r} cannot override flags for {others[0]!r}")


def _bulk_summary(subjects: list[str], values: Iterable[FlagValue] = ()) -> dict[str, Any]:
    summary: dict[str, Any] = {"count": len(subjects), "sample": sorted(subjects)[:SAMPLE]}
    counted = Counter(state_json(value) for value in values)
    if counted:
        summary["values"] = dict(counted.most_common(SAMPLE))
    return summary


class OverrideCommands:
    """Set and clear overrides; `organization_id` confines the call to one organization."""

    def __init__(self, units: FlagUnits) -> None:
        self._units = units

    @retry_on_contention
    def set_override(
        self,
        key: str,
        environment: str,
        scope: OverrideScope,
        subject_id: str,
        value: FlagValue,
        *,
        actor: str,
        reason: str = "",
        organization_id: str | None = None,
    ) -> OverrideRecord:
        """Override the flag for one customer or organization; return the stored override."""
        with self._units.write(actor, organization_id) as uow:
            self._put(uow, key, environment, scope, {subject_id: value}, reason, organization_id)
            stored = uow.overrides.get(scope, key, environment, subject_id)
            if stored is None:  # written but not readable: row-level security hides it
                raise PermissionDenied(f"{subject_id!r} belongs to another organization")
            uow.commit()
        return stored

    @retry_on_contention
    def set_overrides(
        self,
        key: str,
        environment: str,
        scope: OverrideScope,
        values: SubjectValues,
        *,
        actor: str,
        reason: str = "",
        organization_id: str | None = None,
    ) -> int:
        """Override the flag for many customers or organizations at once; return how many.

        Every value is checked before anything is written; one audit row records the count.
        """
        if not values:
            return 0
        with self._units.write(actor, organization_id) as uow:
            self._put(uow, key, environment, scope, values, reason, organization_id)
            uow.commit()
        return len(values)

    def _put(
        self,
        uow: UnitOfWork,
        key: str,
        environment: str,
        scope: OverrideScope,
        values: SubjectValues,
        reason: str,
        organization_id: str | None,
    ) -> None:
        _check_subjects(key, scope, values)
        _check_scope(scope, values, organization_id)
        record = require_flag(uow, key)
        require_environment(uow, environment)
        problems: list[Problem] = []
        for subject, value in values.items():
            problems += check_value(record.definition, _field(scope, subject), value)
            if len(problems) >= MAX_PROBLEMS:
                break
        raise_problems(problems)
        subjects = list(values)
        before = uow.overrides.get(scope, key, environment, subjects[0]) if len(subjects) == 1 else None
        uow.overrides.put_many(
            scope, key, environment, values, reason=reason, organization_id=organization_id
        )
        if len(subjects) == 1:
            audit_change(
                uow,
                "override.set",
                scope.value,
                feature_name=key,
                environment=environment,
                subject_id=subjects[0],
                before=None if before is None else {"value": before.value},
                after={"value": values[subjects[0]]},
                reason=reason,
            )
        else:
            audit_change(
                uow,
                "override.set_many",
                scope.value,
                feature_name=key,
                environment=environment,
                after=_bulk_summary(subjects, values.values()),
                reason=reason,
            )

    def clear_override(
        self,
        key: str,
        environment: str,
        scope: OverrideScope,
        subject_id: str,
        *,
        actor: str,
        reason: str = "",
        organization_id: str | None = None,
    ) -> bool:
        """Remove one override; return whether there was one."""
        return (
            self.clear_overrides(
                key,
                environment,
                scope,
                [subject_id],
                actor=actor,
                reason=reason,
                organization_id=organization_id,
            )
            == 1
        )

    @retry_on_contention
    def clear_overrides(
        self,
        key: str,
        environment: str,
        scope: OverrideScope,
        subject_ids: Iterable[str] | None,
        *,
        actor: str,
        reason: str = "",
        organization_id: str | None = None,
    ) -> int:
        """Remove overrides (all of the flag in `environment` if `subject_ids` is None); return how many."""
        subjects = None if subject_ids is None else list(subject_ids)
        if subjects is not None:
            _check_subjects(key, scope, subjects)
            _check_scope(scope, subjects, organization_id)
        with self._units.write(actor, organization_id) as uow:
            require_flag(uow, key)
            require_environment(uow, environment)
            single = subjects is not None and len(subjects) == 1
            before = uow.overrides.get(scope, key, environment, subjects[0]) if subjects and single else None
            removed = uow.overrides.delete_many(scope, key, environment, subjects)
            if removed == 0:
                return 0
            if single and subjects is not None:
                audit_change(
                    uow,
                    "override.clear",
                    scope.value,
                    feature_name=key,
                    environment=environment,
                    subject_id=subjects[0],
                    before=None if before is None else {"value": before.value},
                    reason=reason,
                )
            else:
                audit_change(
                    uow,
                    "override.clear_many",
                    scope.value,
                    feature_name=key,
                    environment=environment,
                    before={
                        "count": removed,
                        **({} if subjects is None else {"sample": sorted(subjects)[:SAMPLE]}),
                    },
                    reason=reason,
                )
            uow.commit()
        return removed
