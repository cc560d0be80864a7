"""The admin UI's pure pieces: the flags page's rows and filters, audit diffs, the chart, paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.datastructures import FormData

from flagpilot.core import UNSET, FlagDefinition, FlagType, RolloutStatus, Tier
from flagpilot.services.errors import InvalidInput
from flagpilot.services.flags import EnvironmentState, FlagView
from flagpilot.services.rollouts import CohortPair, CohortStats, MinutePoint, RolloutRecord, RolloutStatistics
from flagpilot.services.stored_records import FlagRecord, FlagSetting
from flagpilot.ui.chart import error_rate_chart
from flagpilot.ui.diff import field_changes
from flagpilot.ui.flag_row_html import row_html
from flagpilot.ui.flag_rows import RowFilter, build_rows, latest_evaluations
from flagpilot.ui.flag_table import FlagTable, Table
from flagpilot.ui.login import safe_next
from flagpilot.ui.static import static_file
from flagpilot.ui.switch_actions import Target, shared_action

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ENVIRONMENTS = ["development", "production"]
WEEK = timedelta(days=7)


def view(
    key: str,
    phase: int | None,
    *,
    on: bool = False,
    killed: bool = False,
    rollout: RolloutRecord | None = None,
    updated: datetime = NOW,
    kind: FlagType = FlagType.BOOL,
) -> FlagView:
    definition = FlagDefinition(
        key=key, phase=phase, type=kind, default=False if kind is FlagType.BOOL else "x"
    )
    settings = {
        "development": EnvironmentState("development", FlagSetting(key, "development", value=True)),
        "production": EnvironmentState(
            "production",
            FlagSetting(key, "production", killed=killed, value=on if kind is FlagType.BOOL else UNSET),
            rollout=rollout,
        ),
    }
    return FlagView(FlagRecord(definition, updated_at=updated, created_at=updated), settings)


def no_stats(record: RolloutRecord) -> None:
    return None


def test_rows__show_state_per_environment_and_the_next_gate() -> None:
    started = NOW - timedelta(hours=1)
    rollout = RolloutRecord(
        "b",
        "production",
        Tier.TIER_1_INTERNAL,
        1.0,
        RolloutStatus.ACTIVE,
        tier_started_at=started,
        min_dwell_seconds=3600 * 48,
    )
    rows = build_rows(
        [view("a", 1, on=True), view("b", 2, rollout=rollout), view("c", None, killed=True)],
        ENVIRONMENTS,
        no_stats,
        NOW,
    )
    assert [row.phase for row in rows] == ["1", "2", "other"]
    assert [cell.state for cell in rows[0].cells] == ["on", "on"]
    assert rows[2].cells[1].state == "killed"
    gate = rows[1].cells[1]
    assert gate.next_tier == "tier_2_early_adopters"
    assert gate.gate_opens_at == started + timedelta(hours=48)


def test_stale__a_flag_not_evaluated_anywhere_for_the_configured_days() -> None:
    # Given flags created long ago, one evaluated an hour ago, one nine days ago, one never,
    # and one created yesterday that was never evaluated
    old = NOW - timedelta(days=45)
    views = [view("recent", 1, updated=old), view("quiet", 1, updated=old), view("never", 1, updated=old)]
    views.append(view("young", 1, updated=NOW - timedelta(days=1)))
    last = latest_evaluations(
        {
            ("recent", "development"): NOW - timedelta(days=20),
            ("recent", "production"): NOW - timedelta(hours=1),
            ("quiet", "production"): NOW - timedelta(days=9),
        }
    )

    # When the rows are built with a week as the limit
    rows = build_rows(views, ENVIRONMENTS, no_stats, NOW, last_evaluated=last, stale_after=timedelta(days=7))

    # Then the flags nobody evaluated for a week are stale, the young one not yet
    assert {row.key: row.stale for row in rows} == {
        "recent": False,
        "quiet": True,
        "never": True,
        "young": False,
    }


def test_stale__without_evaluation_counts__no_flag_is_stale() -> None:
    rows = build_rows([view("old", 1, updated=NOW - timedelta(days=400))], ENVIRONMENTS, no_stats, NOW)
    assert [row.stale for row in rows] == [False]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "BETA"}, ["beta"]),
        ({"phase": "2"}, ["beta"]),
        ({"state": "killed", "environment": "production"}, ["gamma"]),
        ({"state": "on", "environment": "production"}, ["alpha"]),
        ({"rollout": "none"}, ["alpha", "beta", "gamma"]),
        ({"sort": "updated"}, ["gamma", "beta", "alpha"]),
    ],
)
def test_filter__narrows_and_orders(params: dict[str, str], expected: list[str]) -> None:
    views = [
        view("alpha", 1, on=True, updated=NOW - timedelta(days=2)),
        view("beta", 2, updated=NOW - timedelta(days=1)),
        view("gamma", 3, killed=True),
    ]
    rows = build_rows(views, ENVIRONMENTS, no_stats, NOW)
    assert [row.key for row in RowFilter.from_params(params).apply(rows)] == expected


def test_diff__names_only_the_fields_that_changed() -> None:
    changes = field_changes('{"killed": false, "value": true}', '{"killed": true, "value": true}')
    assert [(c.field, c.before, c.after) for c in changes] == [("killed", "false", "true")]
    created = field_changes(None, '{"value": 1}')
    assert [(c.field, c.before, c.after) for c in created] == [("value", "—", "1")]
    assert [(c.before, c.after) for c in field_changes('"a"', '"b"')] == [('"a"', '"b"')]


def test_chart__keeps_the_threshold_on_the_chart() -> None:
    series = [
        MinutePoint(
            NOW + timedelta(minutes=i),
            Tier.TIER_1_INTERNAL,
            CohortPair(CohortStats(90, 10), CohortStats(99, 1)),
        )
        for i in range(3)
    ]
    chart = error_rate_chart(series, threshold=0.5)
    assert chart is not None
    assert chart.top_rate >= 0.5
    assert 0 < chart.threshold_y < chart.bottom_y
    assert len(chart.treatment.split()) == 3
    assert error_rate_chart([], threshold=0.05) is None


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", "javascript:x"])
def test_sign_in__never_redirects_off_site(target: str) -> None:
    assert safe_next(target) == "/dashboard/admin/feature-flags"


def test_static__serves_only_the_static_folder() -> None:
    assert static_file("admin.css").name == "admin.css"
    for path in ("../web.py", "/etc/passwd", "..%2fweb.py", "nope.js"):
        with pytest.raises(Exception, match="no static file"):
            static_file(path)


def test_shared_action__names_the_action_and_its_target() -> None:
    form = FormData([("csrf_token", "t"), ("flags", "a"), ("kill", "phase1_x production 7")])
    action, target = shared_action(form)
    assert (action, target) == ("kill", Target("phase1_x", "production", "7"))
    expected = "/admin/flags/phase1_x/environments/production/toggle?to=on&version=7"
    assert target.path("toggle", to="on") == expected


@pytest.mark.parametrize(
    "fields",
    [
        [],
        [("on", "a production 1"), ("kill", "a production 1")],
        [("off", "a production")],
        [("unkill", "a production 1 extra")],
    ],
)
def test_shared_action__refuses_anything_but_one_action_with_key_environment_version(
    fields: list[tuple[str, str]],
) -> None:
    with pytest.raises(InvalidInput):
        shared_action(FormData([("csrf_token", "t"), *fields]))


def test_row_html__renders_every_stored_string_inert_with_a_button_per_action() -> None:
    hostile = '<img src=x onerror="alert(1)">"&'
    record = FlagRecord(FlagDefinition(key="a", phase=1, description=hostile), version=3)
    settings = {
        "development": EnvironmentState("development", FlagSetting("a", "development", value=True)),
        "production": EnvironmentState("production", FlagSetting("a", "production", killed=True)),
    }
    (row,) = build_rows([FlagView(record, settings)], ENVIRONMENTS, no_stats, NOW)
    html = str(row_html(row, can_edit=True))
    assert "<img" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&#34;&amp;" in html
    assert '<button name="off" value="a development 3" aria-label="Turn off a in development">' in html
    assert '<button name="unkill" value="a production 3" aria-label="Unkill a in production">' in html
    assert "<button" not in str(row_html(row, can_edit=False))


def test_flag_table__reuses_its_rows_while_the_reads_are_the_same_objects() -> None:
    clock = [0.0]
    table = FlagTable(lifetime=10.0, monotonic=lambda: clock[0])
    statistics: dict[tuple[str, str], RolloutStatistics] = {}
    evaluated: dict[str, datetime] = {}
    everything = RowFilter()

    def drawn(views: list[FlagView], row_filter: RowFilter) -> Table:
        return table.table(
            views, ENVIRONMENTS, statistics, NOW, row_filter, True, last_evaluated=evaluated, stale_after=WEEK
        )

    views = [view("a", 1, on=True), view("b", 2)]
    first = drawn(views, everything)
    assert (first.shown, first.total) == (2, 2)
    assert 'id="flag-a"' in first.sections
    assert drawn(views, everything) is first  # the same reads: nothing is built again
    assert drawn(views, RowFilter(phase="2")).shown == 1
    changed = [view("a", 1, on=False), views[1]]
    assert 'aria-label="Turn on a in production"' in drawn(changed, everything).sections
    again = drawn(changed, everything)
    clock[0] = 11.0  # past the lifetime the rows are built again (the stale mark moves with time)
    assert drawn(changed, everything) is not again
