"""What the wire-format tests check a document against: the shipped schema, and equality of snapshots."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from flagpilot.core import (
    Snapshot,
    schema_text,
    snapshot_to_dict,
)

SCHEMA = json.loads(schema_text())


VALIDATOR = Draft202012Validator(SCHEMA)


def same(a: Snapshot, b: Snapshot) -> bool:
    """Equal in every field, and in the type of every number (1 and 1.0 are different on the wire)."""
    as_text = json.dumps(snapshot_to_dict(a), sort_keys=True)
    return (
        (a.environment, a.version, a.flags_enabled) == (b.environment, b.version, b.flags_enabled)
        and list(a.states.items()) == list(b.states.items())
        and as_text == json.dumps(snapshot_to_dict(b), sort_keys=True)
    )
