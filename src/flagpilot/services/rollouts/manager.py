"""The rollout use cases: each opens a unit of work, applies one transition, records it, commits.

Every transition writes its `rollout_events` row and its audit row in the same unit of work as
the change, and updates the rollout only if its version is still the one read, so of two
concurrent advances exactly one moves the tier; the other gets `VersionConflict`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from flagpilot.core import FlagType, Problem, Tier
from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.audit_payloads import gate_payload, rollout_payload
from flagpilot.services.contention import retry_on_contention
from flagpilot.services.errors import (
    AlreadyExists,
    EnvironmentNotFound,
    FlagNotFound,
    InvalidInput,
    VersionConflict,
)
from flagpilot.services.ports import UnitOfWork
from flagpilot.services.rollouts import transitions as rules
from flagpilot.services.rollouts.config import RolloutConfig
from flagpilot.services.rollouts.gates import closed_gates
from flagpilot.services.rollouts.reads import RolloutReads, load_rollout, load_statistics, stored_id
from flagpilot.services.rollouts.rollout_records import RolloutEventRecord, RolloutRecord

Transform = Callable[[UnitOfWork, RolloutRecord], tuple[RolloutRecord, dict[str, Any]]]


class RolloutManager(RolloutReads):
    """Creates rollouts and moves them through their lifecycle, audited and version-guarded."""

    @retry_on_contention
    def create(
        self,
        feature_name: str,
        environment: str,
        config: RolloutConfig | None = None,
        *,
        actor: str,
        now: datetime,
        reason: str = "",
    ) -> RolloutRecord:
        """A new planned rollout at tier 0 (0%).

        Only a boolean flag that exists and is not archived can roll out, and only in an
        environment that exists: a rollout serves `true` to its share and `false` to the rest.

        Raises:
            InvalidInput: a bad setting, naming the field, or a flag that is not boolean.
            FlagNotFound: no such flag, or it is archived.
            EnvironmentNotFound: no such environment.
            AlreadyExists: the flag already has a rollout in `environment`.
        """
        config = config or RolloutConfig()
        config.validate(feature_name)
        _require_name(feature_name, "featureName")
        _require_name(environment, "environment")
        with self._uow_factory(actor=actor) as uow:
            _require_target(uow, feature_name, environment)
            if uow.rollouts.get(feature_name, environment) is not None:
                raise AlreadyExists(f"{feature_name!r} already has a rollout in {environment}")
            created = uow.rollouts.add(
                rules.new_rollout(feature_name, environment, config, actor=actor, now=now)
            )
            _record(uow, rules.CREATE, None, created, actor=actor, now=now, reason=reason, details={})
            uow.commit()
        return created

    def start(
        self,
        feature_name: str,
        environment: str,
        *,
        actor: str,
        now: datetime,
        reason: str = "",
        expected_version: int | None = None,
    ) -> RolloutRecord:
        """planned → active at tier 1 (1%)."""
        return self._step(
            rules.START, rules.start, feature_name, environment, actor, now, reason, expected_version
        )

    def advance(
        self,
        feature_name: str,
        environment: str,
        *,
        actor: str,
        now: datetime,
        force: bool = False,
        reason: str = "",
        expected_version: int | None = None,
        from_tier: Tier | None = None,
    ) -> RolloutRecord:
        """Move an active rollout to its next tier, if every gate is open.

        Args:
            feature_name: the flag key.
            environment: the environment.
            actor: who asks.
            now: the time of the request.
            force: skip the gates; needs `reason`, and the skipped gates are recorded.
            reason: why (required when forcing).
            expected_version: the version the caller saw; if the rollout moved since, the
                advance is refused with `VersionConflict` instead of skipping a second tier.
            from_tier: the tier the caller saw; the same protection without a version, so that
                twenty copies of one "advance from tier 1" make one transition and 409s.

        Raises:
            RolloutStateError: not active, or already at tier 4.
            GateClosed: a gate refuses; names the gate and when it opens.
            InvalidInput: `force` without a reason.
        """
        if force and not reason.strip():
            raise InvalidInput(
                "a forced advance needs a reason", [Problem(feature_name, "reason", "is required to force")]
            )

        def transform(uow: UnitOfWork, record: RolloutRecord) -> tuple[RolloutRecord, dict[str, Any]]:
            if from_tier is not None and record.current_tier is not from_tier:
                raise VersionConflict(
                    f"rollout {feature_name!r} in {environment} is at {record.current_tier.value}, "
                    f"not {from_tier.value}: it was advanced since",
                    current_version=record.version,
                )
            moved = rules.advance(record, now=now)
            closed = closed_gates(record, load_statistics(uow, record, now), now=now)
            if closed and not force:
                raise closed[0].error()
            if not force:
                return moved, {}
            return moved, {"forced": True, "skippedGates": [gate_payload(gate) for gate in closed]}

        return self._apply(
            feature_name,
            environment,
            rules.ADVANCE,
            transform,
            actor=actor,
            now=now,
            reason=reason,
            expected_version=expected_version,
        )

    def pause(
        self,
        feature_name: str,
        environment: str,
        *,
        actor: str,
        now: datetime,
        reason: str = "",
        evidence: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> RolloutRecord:
        """active → paused. With `evidence`, an automatic pause (`rollout.auto_pause`)."""
        verb = rules.PAUSE if evidence is None else rules.AUTO_PAUSE
        return self._step(
            verb, rules.pause, feature_name, environment, actor, now, reason, expected_version, evidence
        )

    def resume(
        self,
        feature_name: str,
        environment: str,
        *,
        actor: str,
        now: datetime,
        reason: str = "",
        expected_version: int | None = None,
    ) -> RolloutRecord:
        """paused → active at the same tier."""
        return self._step(
            rules.RESUME, rules.resume, feature_name, environment, actor, now, reason, expected_version
        )

    def rollback(
        self,
        feature_name: str,
        environment: str,
        *,
        actor: str,
        now: datetime,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> RolloutRecord:
        """Any state but rolled_back → rolled_back at tier 0 (0%).

        With `evidence`, an automatic rollback (`rollout.auto_rollback`) whose evidence goes into
        the event's details and the audit row.

        Raises:
            InvalidInput: no reason.
            RolloutStateError: already rolled back.
            VersionConflict: `expected_version` given and the rollout changed since.
        """
        if not reason.strip():
            raise InvalidInput("a rollback needs a reason", [Problem(feature_name, "reason", "is required")])
        verb = rules.ROLLBACK if evidence is None else rules.AUTO_ROLLBACK

        def rule(record: RolloutRecord, *, now: datetime) -> RolloutRecord:
            return rules.rollback(record, reason=reason, now=now)

        return self._step(
            verb, rule, feature_name, environment, actor, now, reason, expected_version, evidence
        )

    def complete(
        self,
        feature_name: str,
        environment: str,
        *,
        actor: str,
        now: datetime,
        reason: str = "",
        expected_version: int | None = None,
    ) -> RolloutRecord:
        """active at tier 4 → completed."""
        return self._step(
            rules.COMPLETE, rules.complete, feature_name, environment, actor, now, reason, expected_version
        )

    def restart(
        self,
        feature_name: str,
        environment: str,
        *,
        actor: str,
        now: datetime,
        reason: str = "",
        expected_version: int | None = None,
    ) -> RolloutRecord:
        """rolled_back → planned at tier 0."""
        return self._step(
            rules.RESTART, rules.restart, feature_name, environment, actor, now, reason, expected_version
        )

    def _step(
        self,
        verb: rules.Verb,
        rule: Callable[..., RolloutRecord],
        feature_name: str,
        environment: str,
        actor: str,
        now: datetime,
        reason: str,
        expected_version: int | None,
        evidence: Mapping[str, Any] | None = None,
    ) -> RolloutRecord:
        """Apply a transition that needs nothing but the record and `now`; `evidence` marks it automatic."""

        def transform(_: UnitOfWork, record: RolloutRecord) -> tuple[RolloutRecord, dict[str, Any]]:
            return rule(record, now=now), _evidence(evidence)

        return self._apply(
            feature_name,
            environment,
            verb,
            transform,
            actor=actor,
            now=now,
            reason=reason,
            expected_version=expected_version,
            evidence=evidence,
        )

    @retry_on_contention
    def _apply(
        self,
        feature_name: str,
        environment: str,
        verb: rules.Verb,
        transform: Transform,
        *,
        actor: str,
        now: datetime,
        reason: str,
        expected_version: int | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> RolloutRecord:
        with self._uow_factory(actor=actor) as uow:
            record = load_rollout(uow, feature_name, environment)
            if expected_version is not None and record.version != expected_version:
                raise VersionConflict(
                    f"rollout {feature_name!r} in {environment} is at version {record.version}, "
                    f"not {expected_version}",
                    current_version=record.version,
                )
            after, details = transform(uow, record)
            uow.rollouts.update(after, expected_version=record.version)
            _record(
                uow,
                verb,
                record,
                after,
                actor=actor,
                now=now,
                reason=reason,
                details=details,
                evidence=evidence,
            )
            uow.commit()
        return after


def _evidence(evidence: Mapping[str, Any] | None) -> dict[str, Any]:
    return {} if evidence is None else {"automatic": True, "evidence": dict(evidence)}


def _record(
    uow: UnitOfWork,
    verb: rules.Verb,
    before: RolloutRecord | None,
    after: RolloutRecord,
    *,
    actor: str,
    now: datetime,
    reason: str,
    details: dict[str, Any],
    evidence: Mapping[str, Any] | None = None,
) -> None:
    uow.rollout_events.add(
        RolloutEventRecord(
            rollout_id=stored_id(after),
            feature_name=after.feature_name,
            event_type=verb.event_type,
            from_tier=None if before is None else before.current_tier,
            to_tier=after.current_tier,
            from_status=None if before is None else before.status,
            to_status=after.status,
            actor=actor,
            reason=reason,
            details=details,
            created_at=now,
        )
    )
    audited = rollout_payload(after)
    if evidence is not None:
        audited["evidence"] = dict(evidence)
    if details.get("forced"):
        audited["skippedGates"] = details["skippedGates"]
    uow.audit.record(
        AuditEntry(
            action=verb.action,
            scope="rollout",
            feature_name=after.feature_name,
            environment=after.environment,
            before=None if before is None else rollout_payload(before),
            after=audited,
            reason=reason,
        )
    )


def _require_target(uow: UnitOfWork, feature_name: str, environment: str) -> None:
    """Refuse a rollout of anything but an existing, served boolean flag in an existing environment."""
    flag = uow.flags.get(feature_name)
    if flag is None:
        raise FlagNotFound(f"flag {feature_name!r} does not exist")
    if flag.archived:
        raise FlagNotFound(f"flag {feature_name!r} is archived: restore it before rolling it out")
    if flag.definition.type is not FlagType.BOOL:
        raise InvalidInput(
            f"only a boolean flag can roll out; {feature_name!r} is a {flag.definition.type.value} flag",
            [Problem(feature_name, "featureName", "must name a boolean flag")],
        )
    if uow.environments.get(environment) is None:
        raise EnvironmentNotFound(f"environment {environment!r} does not exist")


def _require_name(value: str, field: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is required", [Problem(str(value), field, "is required")])
