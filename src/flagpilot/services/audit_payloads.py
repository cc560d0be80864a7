"""What the audit trail records of each kind of record: one stable serialiser per kind.

An audit row's `before`/`after` is history: once written it is hashed into the chain and never
rewritten, so these shapes must not follow the HTTP API's when its fields are renamed. The API
has its own serialisers (`flagpilot.api.serialisers`) and the export document its own
(`flagpilot.services.transfer.document`); a test pins each of the three apart.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from flagpilot.services.stored_records import FlagRecord, FlagSetting, iso

if TYPE_CHECKING:
    from flagpilot.services.rollouts.decision import Evidence, ProcessEvidence
    from flagpilot.services.rollouts.gates import ClosedGate
    from flagpilot.services.rollouts.rollout_records import RolloutRecord
    from flagpilot.services.rollouts.statistics import CohortPair, CohortStats
    from flagpilot.services.tokens import TokenInfo
    from flagpilot.services.transfer.service import ImportReport


def flag_payload(record: FlagRecord) -> dict[str, Any]:
    """A flag's definition and whether it is archived."""
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


def setting_payload(setting: FlagSetting | None) -> dict[str, Any]:
    """A flag's settings in one environment (no value set: no `value` key)."""
    if setting is None:
        return {"killed": False}
    data: dict[str, Any] = {"killed": setting.killed}
    if setting.has_value:
        data["value"] = setting.value
    return data


def rollout_payload(record: RolloutRecord) -> dict[str, Any]:
    """A rollout's whole row."""
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


def cohorts_payload(pair: CohortPair) -> dict[str, Any]:
    """Treatment, control and whitelisted counts, as the rollback evidence keeps them."""
    return {
        "treatment": _cohort(pair.treatment),
        "control": _cohort(pair.control),
        "whitelisted": _cohort(pair.whitelisted),
    }


def _cohort(stats: CohortStats) -> dict[str, Any]:
    return {
        "exposures": stats.exposures,
        "successes": stats.successes,
        "errors": stats.errors,
        "errorRate": stats.error_rate,
        "successRate": stats.success_rate,
    }


def evidence_payload(evidence: Evidence) -> dict[str, Any]:
    """The evidence a rollback or pause rests on, as the audit row, the rollout event's details,
    the alert and the webhook keep it."""
    return {
        "test": "e-detectors: tier-long likelihood ratio + Shiryaev-Roberts mixture over change minutes",
        "finding": evidence.finding.value,
        "threshold": evidence.threshold,
        "minEvents": evidence.min_events,
        "absolute": _process_payload(evidence.absolute),
        "attribution": _process_payload(evidence.attribution),
        "controlReports": evidence.control_reports,
        "unattributedPauseBound": evidence.unattributed_bound,
        "windowAboveThreshold": evidence.above_now,
        "tierStarted": iso(evidence.tier_started),
        "windowStart": iso(evidence.window_start),
        "windowEnd": iso(evidence.window_end),
        "window": cohorts_payload(evidence.window),
        "tierTotal": cohorts_payload(evidence.tier_total),
    }


def _process_payload(process: ProcessEvidence) -> dict[str, Any]:
    """One e-detector's standing (an e-value too large for a float is written as a string)."""
    detector = process.detector
    return {
        "eValue": _finite(process.e_value),
        "logEValue": _finite(process.log_e_value),
        "bound": detector.bound,
        "alpha": detector.alpha,
        "conclusive": process.conclusive,
        "tierAlternative": detector.tier_ratio,
        "changeAlternatives": list(detector.change_ratios),
        "tierWeight": detector.tier_weight,
        "horizonMinutes": detector.horizon_minutes,
        "likelyChangeMinute": iso(process.likely_change),
        "sinceChange": cohorts_payload(process.since_change),
    }


def _finite(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


def gate_payload(gate: ClosedGate) -> dict[str, Any]:
    """A gate a forced advance skipped (also in the rollout event's details)."""
    return {"gate": gate.gate, "detail": gate.detail, "opensAt": gate.opens_at}


def token_payload(token: TokenInfo) -> dict[str, Any]:
    """A token: never its secret or the secret's hash."""
    return {
        "tokenId": token.token_id,
        "kind": token.kind.value,
        "name": token.name,
        "organizationId": token.organization_id,
        "environment": token.environment,
        "revoked": token.revoked_at is not None,
    }


def import_payload(report: ImportReport) -> dict[str, Any]:
    """How much an import wrote."""
    return {
        "environments": report.environments,
        "flags": report.flags,
        "customerOverrides": report.customer_overrides,
        "organizationOverrides": report.organization_overrides,
        "rollouts": report.rollouts,
        "dryRun": report.dry_run,
    }
