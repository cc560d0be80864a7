"""The snapshot's JSON wire format: what SDKs download and what `flagpilot export` writes.

The format is described by `snapshot.schema.json` beside this module (JSON Schema 2020-12) and
documented in docs/snapshot-format.md. `snapshot_from_dict(snapshot_to_dict(s))` reproduces `s`
exactly. Parsing raises `InvalidConfiguration`, naming the flag and field, on a bad document.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

from flagpilot.core.enums import FlagType, RolloutStatus, Tier
from flagpilot.core.errors import InvalidConfiguration, Problem
from flagpilot.core.model import (
    EnvironmentConfig,
    FlagDefinition,
    FlagState,
    Rollout,
    frozen_mapping,
)
from flagpilot.core.snapshot import Snapshot
from flagpilot.core.validation import check_states

FORMAT_VERSION = 2
"""Format 2 evaluates rolled-back rollouts (off for everyone) and prerequisites (off unless each
is on); a format-1 reader would serve those flags on, so it must refuse format 2."""

READABLE_FORMATS = (1, 2)
"""Format 1 documents carry the same fields (less `rollbackReason`) and are read by format 2's rules."""


def schema_text() -> str:
    """The JSON Schema of the wire format, as shipped in the package."""
    return resources.files("flagpilot.core").joinpath("snapshot.schema.json").read_text("utf-8")


def rollout_to_dict(rollout: Rollout) -> dict[str, Any]:
    """A rollout's wire form."""
    return {
        "tier": rollout.tier.value,
        "percentage": rollout.percentage,
        "status": rollout.status.value,
        "whitelist": sorted(rollout.whitelist),
        "groupId": rollout.group_id,
        "stickiness": rollout.stickiness,
        "rollbackReason": rollout.rollback_reason,
    }


def state_to_dict(state: FlagState) -> dict[str, Any]:
    """One flag's wire form (its definition flattened with this environment's config)."""
    definition, config = state.definition, state.config
    data: dict[str, Any] = {
        "type": definition.type.value,
        "defaultValue": definition.default,
        "phase": definition.phase,
        "description": definition.description,
        "prerequisites": list(definition.prerequisites),
        "killed": config.killed,
    }
    if config.has_value:
        data["value"] = config.value
    data["rollout"] = None if config.rollout is None else rollout_to_dict(config.rollout)
    data["organizationOverrides"] = dict(config.organization_overrides)
    data["customerOverrides"] = dict(config.customer_overrides)
    if config.customer_organizations:
        data["customerOverrideOrganizations"] = dict(config.customer_organizations)
    return data


def snapshot_to_dict(snapshot: Snapshot) -> dict[str, Any]:
    """The whole snapshot's wire form."""
    return {
        "formatVersion": FORMAT_VERSION,
        "environment": snapshot.environment,
        "version": snapshot.version,
        "flagsEnabled": snapshot.flags_enabled,
        "flags": {key: state_to_dict(state) for key, state in snapshot.states.items()},
    }


class _Reader:
    """Reads fields of one flag, collecting a `Problem` for each bad one instead of failing fast."""

    def __init__(self, key: str, data: Mapping[str, Any], problems: list[Problem]) -> None:
        self.key, self.data, self.problems = key, data, problems

    def get(self, name: str, kind: type, default: Any) -> Any:
        if name not in self.data:
            return default
        value = self.data[name]
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
            return value
        self.problems.append(Problem(self.key, name, f"{value!r} must be of type {kind.__name__}"))
        return default

    def enum(
        self, name: str, enum: type[Any], default: Any, data: Mapping[str, Any], within: str = ""
    ) -> Any:
        raw = data.get(name, default.value)
        try:
            return enum(raw)
        except ValueError:
            choices = ", ".join(member.value for member in enum)
            self.problems.append(Problem(self.key, within + name, f"{raw!r} is not one of {choices}"))
            return default


def _rollout_from_dict(reader: _Reader, data: Any) -> Rollout | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        reader.problems.append(Problem(reader.key, "rollout", "must be an object or null"))
        return None
    whitelist = data.get("whitelist", [])
    if not isinstance(whitelist, list) or not all(isinstance(c, str) for c in whitelist):
        reader.problems.append(Problem(reader.key, "rollout.whitelist", "must be a list of strings"))
        whitelist = []
    percentage = data.get("percentage", 0.0)
    if isinstance(percentage, bool) or not isinstance(percentage, int | float):
        reader.problems.append(Problem(reader.key, "rollout.percentage", "must be a number"))
        percentage = 0.0
    group_id = data.get("groupId")
    if group_id is not None and not isinstance(group_id, str):
        reader.problems.append(Problem(reader.key, "rollout.groupId", "must be a string or null"))
        group_id = None
    stickiness = data.get("stickiness", "customerId")
    if not isinstance(stickiness, str) or not stickiness:
        reader.problems.append(Problem(reader.key, "rollout.stickiness", "must be a non-empty string"))
        stickiness = "customerId"
    rollback_reason = data.get("rollbackReason")
    if rollback_reason is not None and not isinstance(rollback_reason, str):
        reader.problems.append(Problem(reader.key, "rollout.rollbackReason", "must be a string or null"))
        rollback_reason = None
    return Rollout(
        tier=reader.enum("tier", Tier, Tier.TIER_0_DISABLED, data, "rollout."),
        percentage=percentage,
        status=reader.enum("status", RolloutStatus, RolloutStatus.PLANNED, data, "rollout."),
        whitelist=frozenset(whitelist),
        group_id=group_id,
        stickiness=stickiness,
        rollback_reason=rollback_reason,
    )


def _customer_organizations(reader: _Reader) -> Mapping[str, str]:
    recorded = reader.get("customerOverrideOrganizations", dict, {})
    if not all(isinstance(org, str) and org for org in recorded.values()):
        reader.problems.append(
            Problem(reader.key, "customerOverrideOrganizations", "must map customer ids to organization ids")
        )
        return frozen_mapping(None)
    return frozen_mapping(recorded)


def state_from_dict(key: str, data: Any, problems: list[Problem]) -> FlagState | None:
    """Parse one flag's wire form, appending to `problems` whatever is wrong with it."""
    if not isinstance(data, Mapping):
        problems.append(Problem(key, "(flag)", "must be an object"))
        return None
    reader = _Reader(key, data, problems)
    prerequisites = reader.get("prerequisites", list, [])
    if not all(isinstance(p, str) for p in prerequisites):
        problems.append(Problem(key, "prerequisites", "must be a list of flag keys"))
        prerequisites = []
    phase = data.get("phase")
    if phase is not None and (isinstance(phase, bool) or not isinstance(phase, int)):
        problems.append(Problem(key, "phase", f"{phase!r} must be 1, 2, 3 or null"))
        phase = None
    definition = FlagDefinition(
        key=key,
        type=reader.enum("type", FlagType, FlagType.BOOL, data),
        default=data.get("defaultValue", False),
        phase=phase,
        description=reader.get("description", str, ""),
        prerequisites=tuple(prerequisites),
    )
    config_values: dict[str, Any] = {}
    if "value" in data:
        config_values["value"] = data["value"]
    config = EnvironmentConfig(
        killed=reader.get("killed", bool, False),
        rollout=_rollout_from_dict(reader, data.get("rollout")),
        organization_overrides=frozen_mapping(reader.get("organizationOverrides", dict, {})),
        customer_overrides=frozen_mapping(reader.get("customerOverrides", dict, {})),
        customer_organizations=_customer_organizations(reader),
        **config_values,
    )
    return FlagState(definition=definition, config=config)


def snapshot_from_dict(data: Any) -> Snapshot:
    """Parse and validate a snapshot's wire form; raise `InvalidConfiguration` if it is bad."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise InvalidConfiguration([Problem("(snapshot)", "(document)", "must be an object")])
    format_version = data.get("formatVersion")
    if type(format_version) is not int or format_version not in READABLE_FORMATS:  # not True, not 1.0
        readable = " or ".join(str(n) for n in READABLE_FORMATS)
        problems.append(Problem("(snapshot)", "formatVersion", f"must be {readable}"))
    flags = data.get("flags")
    if not isinstance(flags, Mapping):
        problems.append(Problem("(snapshot)", "flags", "must be an object"))
        flags = {}
    environment = data.get("environment")
    if not isinstance(environment, str) or not environment:
        problems.append(Problem("(snapshot)", "environment", "must be a non-empty string"))
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        problems.append(Problem("(snapshot)", "version", "must be a non-negative integer"))
    enabled = data.get("flagsEnabled", True)
    if not isinstance(enabled, bool):
        problems.append(Problem("(snapshot)", "flagsEnabled", "must be a boolean"))
    states = [
        state
        for key, body in flags.items()
        if (state := state_from_dict(str(key), body, problems)) is not None
    ]
    problems += check_states(states, prerequisites=False)
    if problems:
        raise InvalidConfiguration(problems)
    return Snapshot(
        states,
        environment=str(environment),
        version=int(version),  # type: ignore[arg-type]
        flags_enabled=bool(enabled),
    )
