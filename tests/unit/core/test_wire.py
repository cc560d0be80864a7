"""The snapshot wire format: lossless round trips, schema-valid output, and bad documents refused."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from flagpilot.core import (
    FORMAT_VERSION,
    EnvironmentConfig,
    EvaluationContext,
    FlagDefinition,
    FlagState,
    FlagType,
    InvalidConfiguration,
    Reason,
    Rollout,
    RolloutStatus,
    Snapshot,
    Tier,
    frozen_mapping,
    snapshot_from_dict,
    snapshot_to_dict,
    state_to_dict,
)
from tests.unit.builders import flag, rollout, snapshot
from tests.unit.core.wire_checks import SCHEMA, VALIDATOR, same


def test_round_trip__keeps_awkward_floats_and_json_values_exactly() -> None:
    # Given values JSON and floats make easy to get wrong
    awkward = {"tiny": 5e-324, "third": 1 / 3, "big": 2**63, "neg_zero": -0.0, "nested": [{"a": None}, []]}
    original = snapshot(
        flag("limits", type=FlagType.JSON, default=awkward, value={"x": 0.1 + 0.2}),
        flag("ratio", type=FlagType.NUMBER, default=1.0, value=1, customers={"c-1": 1e308}),
        flag("wave", rollout=rollout(33.33, whitelist=["b", "a"])),
    )

    # When sent as JSON text and read back
    back = snapshot_from_dict(json.loads(json.dumps(snapshot_to_dict(original))))

    # Then every value is identical, down to int-versus-float
    assert same(back, original)
    assert type(back.states["ratio"].definition.default) is float
    assert type(back.states["ratio"].config.value) is int
    assert back.states["limits"].definition.default == awkward


def test_snapshot_to_dict__has_the_documented_shape() -> None:
    # Given one flag using every field
    original = Snapshot(
        [
            FlagState(
                FlagDefinition("wave", default=False, phase=2, description="d", prerequisites=("base",)),
                EnvironmentConfig(
                    value=True,
                    rollout=Rollout(Tier.TIER_1_INTERNAL, 1.0, RolloutStatus.ACTIVE, frozenset({"z", "a"})),
                    organization_overrides=frozen_mapping({"acme": False}),
                    customer_overrides=frozen_mapping({"c-1": True}),
                ),
            )
        ],
        environment="staging",
        version=12,
        flags_enabled=False,
    )

    # When serialised, Then it is exactly the documented document (whitelist sorted)
    assert snapshot_to_dict(original) == {
        "formatVersion": 2,
        "environment": "staging",
        "version": 12,
        "flagsEnabled": False,
        "flags": {
            "wave": {
                "type": "bool",
                "defaultValue": False,
                "phase": 2,
                "description": "d",
                "prerequisites": ["base"],
                "killed": False,
                "value": True,
                "rollout": {
                    "tier": "tier_1_internal",
                    "percentage": 1.0,
                    "status": "active",
                    "whitelist": ["a", "z"],
                    "groupId": None,
                    "stickiness": "customerId",
                    "rollbackReason": None,
                },
                "organizationOverrides": {"acme": False},
                "customerOverrides": {"c-1": True},
            }
        },
    }


def test_snapshot_from_dict__of_format_1__reads_it_with_the_rules_of_format_2() -> None:
    # Given a format-1 document with a rolled-back rollout over an environment value of true
    rolled_back = {"tier": "tier_3_general", "percentage": 50, "status": "rolled_back"}
    body = {"type": "bool", "defaultValue": False, "value": True, "rollout": rolled_back}
    document = {"formatVersion": 1, "environment": "e", "version": 4, "flags": {"f": body}}

    # When read and evaluated
    result = snapshot_from_dict(document).evaluate("f", EvaluationContext(customer_id="c-1"))

    # Then the rollback turns the flag off, as format 2 says
    assert (result.value, result.reason) == (False, Reason.DISABLED)


def test_state_to_dict__without_an_environment_value__omits_the_value_field() -> None:
    # "value": null would be a value; absence is "no environment value".
    assert "value" not in state_to_dict(flag("f"))
    assert state_to_dict(flag("f", value=False))["value"] is False


def test_snapshot_from_dict__of_a_minimal_flag__fills_in_the_documented_defaults() -> None:
    document = {
        "formatVersion": 2,
        "environment": "production",
        "version": 0,
        "flags": {"f": {"type": "bool"}},
    }

    parsed = snapshot_from_dict(document)

    assert parsed.flags_enabled is True
    assert parsed.states["f"] == FlagState(FlagDefinition("f"), EnvironmentConfig())


def test_snapshot_from_dict__of_a_minimal_rollout__fills_in_the_documented_defaults() -> None:
    body = {"type": "bool", "defaultValue": False, "rollout": {"tier": "tier_3_general", "percentage": 50}}
    document = {"formatVersion": 2, "environment": "e", "version": 1, "flags": {"f": body}}

    parsed = snapshot_from_dict(document).states["f"].config.rollout

    assert parsed == Rollout(Tier.TIER_3_GENERAL, 50, RolloutStatus.PLANNED, frozenset(), None, "customerId")


def test_snapshot_from_dict__ignores_unknown_fields() -> None:
    # Given a document from a newer writer, with fields this reader does not know
    document = snapshot_to_dict(snapshot(flag("f", value=True)))
    document["publishedBy"] = "server-2"
    document["flags"]["f"]["owner"] = "team-a"

    # When read, Then the known fields are read as usual
    assert snapshot_from_dict(document).states["f"] == flag("f", value=True)


def valid_document() -> dict[str, Any]:
    return snapshot_to_dict(
        snapshot(flag("wave", rollout=rollout(10)), flag("label", type=FlagType.STRING, default="a"))
    )


def valid_document_with(path: tuple[str, ...], bad: object) -> dict[str, Any]:
    """A valid document with the field at `path` replaced by `bad`."""
    document = valid_document()
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = bad
    return document


@pytest.mark.parametrize(
    ("path", "bad", "flag_name", "field"),
    [
        (("formatVersion",), 3, "(snapshot)", "formatVersion"),
        (("formatVersion",), True, "(snapshot)", "formatVersion"),
        (("formatVersion",), 1.0, "(snapshot)", "formatVersion"),
        (("environment",), "", "(snapshot)", "environment"),
        (("version",), -1, "(snapshot)", "version"),
        (("version",), "7", "(snapshot)", "version"),
        (("flagsEnabled",), "yes", "(snapshot)", "flagsEnabled"),
        (("flags",), [], "(snapshot)", "flags"),
        (("flags", "wave"), "on", "wave", "(flag)"),
        (("flags", "wave", "type"), "boolean", "wave", "type"),
        (("flags", "wave", "killed"), 1, "wave", "killed"),
        (("flags", "wave", "phase"), "2", "wave", "phase"),
        (("flags", "wave", "prerequisites"), [1], "wave", "prerequisites"),
        (("flags", "wave", "description"), None, "wave", "description"),
        (("flags", "wave", "customerOverrides"), [], "wave", "customerOverrides"),
        (("flags", "wave", "rollout"), "10%", "wave", "rollout"),
        (("flags", "wave", "rollout", "tier"), "tier_9", "wave", "rollout.tier"),
        (("flags", "wave", "rollout", "status"), "running", "wave", "rollout.status"),
        (("flags", "wave", "rollout", "percentage"), "10", "wave", "rollout.percentage"),
        (("flags", "wave", "rollout", "percentage"), 150, "wave", "rollout.percentage"),
        (("flags", "wave", "rollout", "whitelist"), ["a", 1], "wave", "rollout.whitelist"),
        (("flags", "wave", "rollout", "groupId"), 5, "wave", "rollout.groupId"),
        (("flags", "wave", "rollout", "stickiness"), "", "wave", "rollout.stickiness"),
        (("flags", "wave", "rollout", "rollbackReason"), 7, "wave", "rollout.rollbackReason"),
        (("flags", "label", "defaultValue"), 3, "label", "default"),
        (("flags", "label", "value"), None, "label", "value"),
        (
            ("flags", "label", "organizationOverrides"),
            {"acme": False},
            "label",
            "organizationOverrides[acme]",
        ),
        (
            ("flags", "label", "customerOverrideOrganizations"),
            {"c-1": ""},
            "label",
            "customerOverrideOrganizations",
        ),
        (
            ("flags", "label", "customerOverrideOrganizations"),
            {"c-1": 7},
            "label",
            "customerOverrideOrganizations",
        ),
    ],
)
def test_snapshot_from_dict__of_a_bad_field__raises_naming_the_flag_and_field(
    path: tuple[str, ...], bad: object, flag_name: str, field: str
) -> None:
    # Given a valid document with one field made bad
    document = valid_document_with(path, bad)

    # When read
    with pytest.raises(InvalidConfiguration) as caught:
        snapshot_from_dict(document)

    # Then the problem names the flag and the field
    assert [(p.flag, p.field) for p in caught.value.problems] == [(flag_name, field)]


def test_snapshot_from_dict__of_several_bad_fields__reports_them_all_at_once() -> None:
    document = valid_document()
    document["version"] = None
    document["flags"]["wave"]["killed"] = "no"
    document["flags"]["label"]["value"] = False

    with pytest.raises(InvalidConfiguration) as caught:
        snapshot_from_dict(document)

    assert [(p.flag, p.field) for p in caught.value.problems] == [
        ("(snapshot)", "version"),
        ("wave", "killed"),
        ("label", "value"),
    ]


@pytest.mark.parametrize("document", [None, [], "snapshot", 1])
def test_snapshot_from_dict__of_a_non_object__raises(document: object) -> None:
    with pytest.raises(InvalidConfiguration, match="must be an object"):
        snapshot_from_dict(document)


def test_snapshot_from_dict__does_not_check_prerequisites() -> None:
    # A served snapshot may hold a flag on whose prerequisite was since killed: readers accept it.
    document = snapshot_to_dict(
        snapshot(flag("base", killed=True), flag("child", prerequisites=("base",), value=True))
    )

    assert "child" in snapshot_from_dict(document)


def test_snapshot_from_dict__does_not_change_its_input() -> None:
    document = valid_document()
    before = copy.deepcopy(document)

    snapshot_from_dict(document)

    assert document == before


def test_schema__is_valid_2020_12_and_the_file_shipped_in_the_package() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    shipped = resources.files("flagpilot.core").joinpath("snapshot.schema.json").read_text("utf-8")
    assert json.loads(shipped) == SCHEMA
    assert SCHEMA["properties"]["formatVersion"] == {"const": FORMAT_VERSION}


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        (("formatVersion",), 3),
        (("flags", "wave", "rollout", "percentage"), 100.5),
        (("flags", "wave", "rollout", "tier"), "tier_9"),
        (("flags", "wave", "type"), "boolean"),
        (("flags", "Bad Key"), {"type": "bool", "defaultValue": False}),
        (("flags", "label", "customerOverrideOrganizations"), {"c-1": ""}),
    ],
)
def test_schema__rejects_what_the_reader_rejects(path: tuple[str, ...], bad: object) -> None:
    document = valid_document_with(path, bad)

    assert not VALIDATOR.is_valid(document)
    with pytest.raises(InvalidConfiguration):
        snapshot_from_dict(document)
