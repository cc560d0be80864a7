"""The admin API's pure checks: If-Match versions, the 0.01 % grid, the phase grouping."""

from __future__ import annotations

import pytest
from fastapi.exceptions import RequestValidationError

from flagpilot.api.admin import rounding_problems
from flagpilot.api.admin.grouping import by_phase
from flagpilot.api.admin.versions import expected_version, parse_if_match
from flagpilot.core import FlagDefinition
from flagpilot.services.flags import FlagView
from flagpilot.services.stored_records import FlagRecord
from flagpilot.services.transfer import off_grid


@pytest.mark.parametrize(
    ("header", "version"), [('"3"', 3), ('W/"12"', 12), ("7", 7), ("*", None), (None, None)]
)
def test_if_match__reads_the_version_of_an_entity_tag(header: str | None, version: int | None) -> None:
    assert parse_if_match(header) == version


def test_if_match__that_names_no_version__is_refused_naming_the_header() -> None:
    with pytest.raises(RequestValidationError) as raised:
        parse_if_match('"abc"')

    assert raised.value.errors()[0]["loc"] == ("header", "If-Match")


def test_expected_version__from_header_and_body_that_disagree__is_refused() -> None:
    with pytest.raises(RequestValidationError):
        expected_version('"3"', 4)


@pytest.mark.parametrize(
    ("percentage", "refused"), [(12.34, False), (0.01, False), (100, False), (12.345, True), (1e-9, True)]
)
def test_off_grid__refuses_exactly_what_the_bucket_bound_would_round(
    percentage: float, refused: bool
) -> None:
    assert off_grid(percentage) is refused


def test_rounding_problems__names_every_rounded_rollout_field() -> None:
    document = {
        "rollouts": [{"percentage": 10}, {"percentage": 0.125, "rollbackThreshold": {"timeWindow": 1.5}}]
    }

    fields = [problem["field"] for problem in rounding_problems(document)]

    assert fields == ["body.rollouts.1.percentage", "body.rollouts.1.rollbackThreshold.timeWindow"]


def test_by_phase__puts_each_flag_under_its_phase_and_unphased_ones_under_none() -> None:
    views = [FlagView(FlagRecord(FlagDefinition("a", phase=2))), FlagView(FlagRecord(FlagDefinition("b")))]

    phases = by_phase(views, [])["phases"]

    assert {name: [flag["key"] for flag in flags] for name, flags in phases.items()} == {
        "1": [],
        "2": ["a"],
        "3": [],
        "none": ["b"],
    }
