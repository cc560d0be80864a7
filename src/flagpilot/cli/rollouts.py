"""`flagpilot rollout …`: pilot rollouts from the command line, over the same services as the API.

    flagpilot rollout init-preset --internal-customer staff-1     the six rollouts the product ships
    flagpilot rollout create FEATURE [--whitelist ID …] [--error-rate 0.05] …
    flagpilot rollout start|advance|pause|resume|rollback|complete|restart FEATURE
    flagpilot rollout status FEATURE      statistics, closed gates and history
    flagpilot rollout list

Every command takes `--json` for scripts; bad arguments are named and exit with 2.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from flagpilot.api.serialisers import rollout_detail_json, rollout_json
from flagpilot.cli.command_support import ActorOption, JsonOption, ReasonOption, open_container, resolve_actor
from flagpilot.cli.output import fail, print_json, print_table
from flagpilot.core import Tier
from flagpilot.server.database_services import DatabaseServices
from flagpilot.services.clock import utc_now
from flagpilot.services.errors import EnvironmentNotFound, InvalidInput
from flagpilot.services.rollouts import RolloutConfig, RolloutRecord, create_preset_rollouts

rollout_app = typer.Typer(
    help="Pilot rollouts: create, advance through tiers, roll back.", no_args_is_help=True
)

FeatureArgument = Annotated[str, typer.Argument(help="Flag key, e.g. phase2_enhanced_storage.")]
EnvOption = Annotated[
    str | None, typer.Option("--env", help="Environment (default: $FLAGPILOT_ENVIRONMENT or production).")
]
VersionOption = Annotated[
    int | None,
    typer.Option("--expected-version", min=1, help="Refuse if the rollout is no longer at this version."),
]

OPTIONS = {
    "rollbackThreshold.errorRate": "--error-rate",
    "rollbackThreshold.timeWindow": "--time-window-ms",
    "minDwellHours": "--min-dwell-hours",
    "minEvents": "--min-events",
    "whitelistedCustomers": "--whitelist",
}



def _environment(container: DatabaseServices, env: str | None) -> str:
    environment = env or container.settings.environment
    if environment not in {e.name for e in container.flag_manager.list_environments()}:
        raise EnvironmentNotFound(f"environment {environment!r} does not exist (--env)")
    return environment


def _line(record: RolloutRecord) -> str:
    return (
        f"{record.feature_name} in {record.environment}: {record.status.value} at "
        f"{record.current_tier.value} ({record.percentage:g}%), version {record.version}"
    )


def _show(record: RolloutRecord, as_json: bool) -> None:
    if as_json:
        print_json(rollout_json(record))
    else:
        typer.echo(_line(record))


def _config(wire: dict[str, Any]) -> RolloutConfig:
    try:
        return RolloutConfig.from_wire(wire, "rollout")
    except InvalidInput as exc:
        named = [
            f"{OPTIONS.get(p.field, OPTIONS.get(p.field.split('[')[0], p.field))}: {p.message}"
            for p in exc.problems
        ]
        fail("; ".join(named) or exc.detail)


@rollout_app.command("create")
def create_command(
    feature: FeatureArgument,
    env: EnvOption = None,
    whitelist: Annotated[
        list[str] | None,
        typer.Option("--whitelist", help="Customer who always gets the feature (repeatable)."),
    ] = None,
    error_rate: Annotated[
        float | None,
        typer.Option("--error-rate", min=0.0, max=1.0, help="Roll back above this (default 0.05)."),
    ] = None,
    time_window_ms: Annotated[
        int | None,
        typer.Option("--time-window-ms", min=1, help="Window of the error rate (default 3600000)."),
    ] = None,
    min_dwell_hours: Annotated[
        float | None, typer.Option("--min-dwell-hours", min=0.0, help="Hours per tier (default 48).")
    ] = None,
    min_events: Annotated[
        int | None, typer.Option("--min-events", min=1, help="Outcome events per tier (default 100).")
    ] = None,
    reason: ReasonOption = "",
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a planned rollout at tier 0 (0%)."""
    threshold = {"errorRate": error_rate, "timeWindow": time_window_ms}
    wire: dict[str, Any] = {
        "whitelistedCustomers": list(whitelist or []),
        "rollbackThreshold": {k: v for k, v in threshold.items() if v is not None},
        "minDwellHours": min_dwell_hours,
        "minEvents": min_events,
    }
    config = _config({k: v for k, v in wire.items() if v is not None})
    with open_container() as container:
        environment = _environment(container, env)
        record = container.rollout_manager.create(
            feature, environment, config, actor=resolve_actor(actor), now=utc_now(), reason=reason
        )
    _show(record, as_json)


def _transition(
    verb: str, feature: str, env: str | None, actor: str | None, **arguments: Any
) -> RolloutRecord:
    with open_container() as container:
        action = getattr(container.rollout_manager, verb)
        record: RolloutRecord = action(
            feature, _environment(container, env), actor=resolve_actor(actor), now=utc_now(), **arguments
        )
    return record


def _simple(verb: str, summary: str) -> None:
    def command(
        feature: FeatureArgument,
        env: EnvOption = None,
        reason: ReasonOption = "",
        expected_version: VersionOption = None,
        actor: ActorOption = None,
        as_json: JsonOption = False,
    ) -> None:
        _show(
            _transition(verb, feature, env, actor, reason=reason, expected_version=expected_version), as_json
        )

    command.__doc__ = summary
    rollout_app.command(verb)(command)


_simple("start", "Start a planned rollout: tier 1 (1%, the internal team).")
_simple("pause", "Pause an active rollout: the tier keeps serving, progress stops.")
_simple("resume", "Resume a paused rollout at the same tier.")
_simple("complete", "Complete a rollout at tier 4 (100%).")
_simple("restart", "Plan a rolled-back rollout again (tier 0).")


@rollout_app.command("advance")
def advance_command(
    feature: FeatureArgument,
    env: EnvOption = None,
    force: Annotated[bool, typer.Option("--force", help="Skip closed gates (needs --reason).")] = False,
    reason: ReasonOption = "",
    expected_version: VersionOption = None,
    from_tier: Annotated[
        Tier | None,
        typer.Option("--from-tier", help="Refuse unless still at this tier (default: as read now)"),
    ] = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Advance to the next tier if its dwell time, evidence and error rate allow.

    The advance names the tier it starts from, as read just before (or `--from-tier`), so that
    a command repeated by accident, or run twice at once, moves the rollout one tier, not two.
    """
    if force and not reason.strip():
        fail("--force needs --reason: a forced advance is audited with why")
    with open_container() as container:
        environment = _environment(container, env)
        if from_tier is None and expected_version is None:
            from_tier = container.rollout_manager.get(feature, environment).current_tier
        record = container.rollout_manager.advance(
            feature,
            environment,
            actor=resolve_actor(actor),
            now=utc_now(),
            force=force,
            reason=reason,
            expected_version=expected_version,
            from_tier=from_tier,
        )
    _show(record, as_json)


@rollout_app.command("rollback")
def rollback_command(
    feature: FeatureArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why (required; the incident's first line).")],
    env: EnvOption = None,
    expected_version: VersionOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Roll back to tier 0: nobody gets the feature, in every server within a second."""
    if not reason.strip():
        fail("--reason must say why")
    _show(
        _transition("rollback", feature, env, actor, reason=reason, expected_version=expected_version),
        as_json,
    )


@rollout_app.command("status")
def status_command(feature: FeatureArgument, env: EnvOption = None, as_json: JsonOption = False) -> None:
    """A rollout with its statistics, the gates an advance meets now, and its recent history."""
    now = utc_now()
    with open_container() as container:
        environment = _environment(container, env)
        detail = container.rollout_manager.detail(feature, environment, now=now, history_limit=10)
    if as_json:
        print_json(rollout_detail_json(detail))
        return
    record, gates, events = detail.record, detail.closed_gates, detail.events
    typer.echo(_line(record))
    window = detail.statistics.window
    print_table(
        ["COHORT", "EVENTS", "SUCCESSES", "ERRORS", "ERROR RATE"],
        [
            [name, c.exposures, c.successes, c.errors, f"{c.error_rate:.2%}"]
            for name, c in (("treatment", window.treatment), ("control", window.control))
        ],
    )
    for gate in gates:
        typer.echo(f"gate {gate.gate}: {gate.detail}")
    print_table(
        ["WHEN", "EVENT", "TIER", "BY", "REASON"],
        [[e.created_at, e.event_type, e.to_tier, e.actor, e.reason] for e in events],
    )


@rollout_app.command("list")
def list_command(
    env: Annotated[str | None, typer.Option("--env", help="Only this environment.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every rollout, by environment and flag."""
    with open_container() as container:
        records = container.rollout_manager.list_rollouts(env)
    if as_json:
        print_json([rollout_json(record) for record in records])
        return
    print_table(
        ["FEATURE", "ENVIRONMENT", "STATUS", "TIER", "PERCENTAGE", "VERSION"],
        [
            [
                r.feature_name,
                r.environment,
                r.status.value,
                r.current_tier.value,
                f"{r.percentage:g}",
                r.version,
            ]
            for r in records
        ],
    )


@rollout_app.command("init-preset")
def init_preset_command(
    internal_customer: Annotated[
        list[str],
        typer.Option("--internal-customer", help="Your internal customer id, whitelisted (repeatable)."),
    ],
    env: EnvOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create the product's six rollouts (phase 2 and 3): planned, tier 0, 5% over one hour.

    Idempotent: rollouts that exist are reported and left as they are.
    """
    who = resolve_actor(actor)
    with open_container() as container:
        environment = _environment(container, env)
        outcomes = create_preset_rollouts(
            container.rollout_manager, environment, internal_customer, actor=who, now=utc_now()
        )
    results: list[dict[str, Any]] = [
        {"result": outcome.result, "rollout": rollout_json(outcome.rollout)} for outcome in outcomes
    ]
    if as_json:
        print_json(results)
        return
    print_table(
        ["FEATURE", "RESULT", "STATUS", "TIER", "PERCENTAGE"],
        [
            [
                r["rollout"]["featureName"],
                r["result"],
                r["rollout"]["status"],
                r["rollout"]["currentTier"],
                r["rollout"]["percentage"],
            ]
            for r in results
        ],
    )


def register(app: typer.Typer) -> None:
    """Add the `rollout` group to the root command."""
    app.add_typer(rollout_app, name="rollout")
