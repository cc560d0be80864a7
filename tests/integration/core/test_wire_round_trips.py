"""Generated snapshots survive the wire format: schema-valid, and equal after a round trip."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from flagpilot.core import (
    UNSET,
    EnvironmentConfig,
    FlagDefinition,
    FlagState,
    FlagType,
    Rollout,
    RolloutStatus,
    Snapshot,
    Tier,
    frozen_mapping,
    snapshot_from_dict,
    snapshot_to_dict,
)
from tests.unit.core.wire_checks import VALIDATOR, same

_ids = st.text(min_size=1, max_size=6)


_finite = st.floats(allow_nan=False, allow_infinity=False)


_json_values = st.recursive(
    st.booleans() | st.integers(-(2**63), 2**63) | _finite | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10,
)


_json_or_null_inside = st.dictionaries(st.text(max_size=4), st.none() | _json_values, max_size=3)


_by_type: dict[FlagType, st.SearchStrategy[Any]] = {
    FlagType.BOOL: st.booleans(),
    FlagType.STRING: st.text(max_size=8),
    FlagType.NUMBER: st.integers(-(2**63), 2**63) | _finite,
    FlagType.JSON: _json_values | _json_or_null_inside,
}


_rollouts = st.builds(
    Rollout,
    tier=st.sampled_from(list(Tier)),
    percentage=st.integers(0, 100) | st.floats(0, 100),
    status=st.sampled_from(list(RolloutStatus)),
    whitelist=st.frozensets(_ids, max_size=4),
    group_id=st.none() | _ids,
    stickiness=st.sampled_from(["customerId", "organizationId", "plan"]),
    rollback_reason=st.none() | st.text(max_size=8),
)


@st.composite
def states(draw: st.DrawFn, key: str) -> FlagState:
    flag_type = draw(st.sampled_from(list(FlagType)))
    values = _by_type[flag_type]
    customers = draw(st.dictionaries(_ids, values, max_size=3))
    recorded_in = draw(st.dictionaries(st.sampled_from(sorted(customers) or ["x"]), _ids, max_size=2))
    return FlagState(
        definition=FlagDefinition(
            key=key,
            type=flag_type,
            default=draw(values),
            phase=draw(st.sampled_from([None, 1, 2, 3])),
            description=draw(st.text(max_size=10)),
            prerequisites=tuple(draw(st.lists(st.sampled_from(["base", "other"]), max_size=2))),
        ),
        config=EnvironmentConfig(
            killed=draw(st.booleans()),
            value=draw(st.just(UNSET) | values),
            rollout=draw(st.none() | _rollouts) if flag_type is FlagType.BOOL else None,
            organization_overrides=frozen_mapping(draw(st.dictionaries(_ids, values, max_size=3))),
            customer_overrides=frozen_mapping(customers),
            customer_organizations=frozen_mapping(recorded_in if customers else {}),
        ),
    )


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    keys = draw(st.lists(st.sampled_from(["flag_a", "flag_b", "flag.c", "flag-d"]), unique=True, max_size=4))
    return Snapshot(
        [draw(states(key)) for key in keys],
        environment=draw(st.text(min_size=1, max_size=10)),
        version=draw(st.integers(0, 2**53)),
        flags_enabled=draw(st.booleans()),
    )


@settings(max_examples=200)
@given(original=snapshots())
def test_snapshot_to_dict__is_schema_valid_and_round_trips_through_dicts_and_json_text(
    original: Snapshot,
) -> None:
    # Given any valid snapshot, written in the wire format
    document = snapshot_to_dict(original)

    # Then the document validates against the published schema
    VALIDATOR.validate(document)
    # And reading it back, directly or from JSON text, gives the same snapshot (floats included)
    assert same(snapshot_from_dict(document), original)
    assert same(snapshot_from_dict(json.loads(json.dumps(document, allow_nan=False))), original)
