"""The HTTP API's JSON for the services' records: camelCase, the shapes `responses.py` documents.

These are the API's own: the audit trail records its payloads with
`flagpilot.services.audit_payloads` and the export document writes its entries itself, so
renaming a field here changes what clients see and nothing that is stored. The CLI's `--json`
prints these too (it shows the HTTP API's field names); this module imports no web framework.
"""

from __future__ import annotations

from typing import Any

from flagpilot.services.audit import ChainReport
from flagpilot.services.flags import EnvironmentState, FlagView, OverridePage
from flagpilot.services.rollouts import (
    Alert,
    ClosedGate,
    CohortPair,
    CohortStats,
    MinutePoint,
    RolloutDetail,
    RolloutEventRecord,
    RolloutRecord,
    RolloutStatistics,
)
from flagpilot.services.stored_records import FlagRecord, FlagSetting, OverrideRecord, iso
from flagpilot.services.transfer import ImportReport


def definition_json(record: FlagRecord) -> dict[str, Any]:
    """A flag's definition."""
    definition = record.definition
    return {
        "key": definition.key,
        "type": definition.type.value,
        "defaultValue": definition.default,
        "phase": definition.phase,
        "description": definition.description,
        "prerequisites": list(definition.prerequisites),
        "archived": record.archived,
    }


def setting_json(setting: FlagSetting | None) -> dict[str, Any]:
    """A flag's settings in one environment (no value set: no `value` key)."""
    if setting is None:
        return {"killed": False}
    data: dict[str, Any] = {"killed": setting.killed}
    if setting.has_value:
        data["value"] = setting.value
    return data


def environment_state_json(state: EnvironmentState) -> dict[str, Any]:
    """A flag in one environment: settings, rollout, override counts."""
    return {
        **setting_json(state.setting),
        "rollout": None if state.rollout is None else rollout_json(state.rollout),
        "customerOverrides": state.customer_overrides,
        "organizationOverrides": state.organization_overrides,
    }


def flag_json(view: FlagView) -> dict[str, Any]:
    """A flag with its version, times and state in every environment."""
    record = view.record
    return {
        **definition_json(record),
        "version": record.version,
        "createdAt": iso(record.created_at),
        "updatedAt": iso(record.updated_at),
        "environments": {name: environment_state_json(state) for name, state in view.environments.items()},
    }


def override_json(record: OverrideRecord) -> dict[str, Any]:
    """One override."""
    return {
        "flag": record.flag_key,
        "environment": record.environment,
        "scope": record.scope.value,
        "subjectId": record.subject_id,
        "value": record.value,
        "organizationId": record.organization_id,
        "reason": record.reason,
        "createdBy": record.created_by,
        "updatedAt": iso(record.updated_at),
    }


def override_page_json(page: OverridePage) -> dict[str, Any]:
    """A page of overrides and the cursor of the next one."""
    return {"items": [override_json(item) for item in page.items], "nextCursor": page.next_cursor}


def rollout_json(record: RolloutRecord) -> dict[str, Any]:
    """A rollout."""
    return {
        "featureName": record.feature_name,
        "environment": record.environment,
        "currentTier": record.current_tier.value,
        "percentage": record.percentage,
        "status": record.status.value,
        "whitelistedCustomers": list(record.whitelisted_customers),
        "rollbackThreshold": {"errorRate": record.error_rate_threshold, "timeWindow": record.time_window_ms},
        "minDwellSeconds": record.min_dwell_seconds,
        "minEvents": record.min_events,
        "tierStartedAt": iso(record.tier_started_at),
        "rollbackReason": record.rollback_reason,
        "version": record.version,
        "createdBy": record.created_by,
        "createdAt": iso(record.created_at),
        "updatedAt": iso(record.updated_at),
    }


def rollout_event_json(event: RolloutEventRecord) -> dict[str, Any]:
    """One transition of a rollout's history."""
    return {
        "featureName": event.feature_name,
        "eventType": event.event_type,
        "fromTier": None if event.from_tier is None else event.from_tier.value,
        "toTier": None if event.to_tier is None else event.to_tier.value,
        "fromStatus": None if event.from_status is None else event.from_status.value,
        "toStatus": None if event.to_status is None else event.to_status.value,
        "actor": event.actor,
        "reason": event.reason,
        "details": dict(event.details),
        "createdAt": iso(event.created_at),
    }


def closed_gate_json(gate: ClosedGate) -> dict[str, Any]:
    """A gate an advance would meet now."""
    return {"gate": gate.gate, "detail": gate.detail, "opensAt": gate.opens_at}


def cohort_json(stats: CohortStats) -> dict[str, Any]:
    """One cohort's counts and rates."""
    return {
        "exposures": stats.exposures,
        "successes": stats.successes,
        "errors": stats.errors,
        "errorRate": stats.error_rate,
        "successRate": stats.success_rate,
    }


def cohort_pair_json(pair: CohortPair) -> dict[str, Any]:
    """Treatment, control and whitelisted counts."""
    return {
        "treatment": cohort_json(pair.treatment),
        "control": cohort_json(pair.control),
        "whitelisted": cohort_json(pair.whitelisted),
    }


def minute_point_json(point: MinutePoint) -> dict[str, Any]:
    """One minute of a rollout's chart."""
    return {"minute": point.minute.isoformat(), "tier": point.tier.value, **cohort_pair_json(point.counts)}


def statistics_json(statistics: RolloutStatistics) -> dict[str, Any]:
    """A rollout's window, tier and per-minute statistics."""
    return {
        "featureName": statistics.feature_name,
        "environment": statistics.environment,
        "tier": statistics.tier.value,
        "windowStart": statistics.window_start.isoformat(),
        "windowEnd": statistics.window_end.isoformat(),
        "window": cohort_pair_json(statistics.window),
        "tierTotal": cohort_pair_json(statistics.tier_total),
        "byTier": {tier.value: cohort_pair_json(pair) for tier, pair in statistics.by_tier.items()},
        "series": [minute_point_json(point) for point in statistics.series],
    }


def rollout_detail_json(detail: RolloutDetail) -> dict[str, Any]:
    """A rollout with its statistics, closed gates and history."""
    return {
        **rollout_json(detail.record),
        "statistics": statistics_json(detail.statistics),
        "closedGates": [closed_gate_json(gate) for gate in detail.closed_gates],
        "events": [rollout_event_json(event) for event in detail.events],
    }


def alert_json(alert: Alert) -> dict[str, Any]:
    """An alert this server raised."""
    return {
        "id": alert.id,
        "kind": alert.kind,
        "severity": alert.severity.value,
        "featureName": alert.feature_name,
        "environment": alert.environment,
        "message": alert.message,
        "createdAt": alert.created_at.isoformat(),
        "version": alert.version,
        "details": dict(alert.details),
    }


def import_report_json(report: ImportReport) -> dict[str, Any]:
    """What an import wrote, or would write."""
    return {
        "environments": report.environments,
        "flags": report.flags,
        "customerOverrides": report.customer_overrides,
        "organizationOverrides": report.organization_overrides,
        "rollouts": report.rollouts,
        "dryRun": report.dry_run,
    }


def chain_report_json(report: ChainReport) -> dict[str, Any]:
    """The outcome of verifying the audit chain."""
    return {
        "ok": report.ok,
        "checked": report.checked,
        "sealed": report.sealed,
        "brokenId": report.broken_id,
        "problem": report.problem,
    }
