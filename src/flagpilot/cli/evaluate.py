"""`flagpilot eval` and `flagpilot widget-config`: evaluate flags from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from flagpilot.cli.output import fail, print_json
from flagpilot.cli.source import load_snapshot
from flagpilot.core import EvaluationContext, InvalidConfiguration, Snapshot
from flagpilot.presets import widget_document
from flagpilot.settings import Settings

Customer = Annotated[str | None, typer.Option("--customer", help="Customer id (targeting key).")]
Org = Annotated[str | None, typer.Option("--org", help="Organization id.")]
Env = Annotated[str | None, typer.Option("--env", help="Environment (default: FLAGPILOT_ENVIRONMENT).")]
Preset = Annotated[
    bool,
    typer.Option("--preset", help="Evaluate the built-in preset and its overrides, without a database."),
]


def _snapshot(env: str | None, preset: bool) -> Snapshot:
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        fail(f"bad setting: {exc}")
    try:
        return load_snapshot(settings, env, preset=preset)
    except InvalidConfiguration as exc:
        fail(f"invalid configuration: {exc}")
    except OSError as exc:
        fail(f"cannot read configuration: {exc}")


def eval_command(
    flag: Annotated[str, typer.Argument(help="Flag key, e.g. phase2_enhanced_storage.")],
    customer: Customer = None,
    org: Org = None,
    env: Env = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show every step considered.")] = False,
    preset: Preset = False,
) -> None:
    """Evaluate one flag for a customer and print the value and why."""
    snapshot = _snapshot(env, preset)
    ctx = EvaluationContext(customer_id=customer, organization_id=org)
    explanation = snapshot.explain(flag, ctx)
    result = explanation.result if explain else snapshot.evaluate(flag, ctx)
    if as_json:
        data = result.to_dict()
        if explain:
            data["steps"] = [
                {"order": s.order, "source": s.source, "applied": s.applied, "detail": s.detail}
                for s in explanation.steps
            ]
        print_json(data)
    else:
        line = f"{flag} = {json.dumps(result.value)}  reason={result.reason.value}  version={result.version}"
        if result.tier is not None:
            line += f"  tier={result.tier.value}"
        typer.echo(line)
        if result.error_code is not None:
            typer.echo(f"error: {result.error_code.value}: {result.error_message}", err=True)
        if explain:
            for step in explanation.steps:
                mark = "→" if step.applied else " "
                typer.echo(f"  {mark} {step.order}. {step.source}: {step.detail}")
    if result.error_code is not None:
        raise typer.Exit(1)


def widget_config_command(
    customer: Customer = None, org: Org = None, env: Env = None, preset: Preset = False
) -> None:
    """Print the chat widget's configuration document for a customer."""
    snapshot = _snapshot(env, preset)
    results = snapshot.evaluate_all(EvaluationContext(customer_id=customer, organization_id=org))
    print_json(widget_document({key: result.value for key, result in results.items()}))


def register(app: typer.Typer) -> None:
    """Add the evaluation commands to the root command."""
    app.command("eval")(eval_command)
    app.command("widget-config")(widget_config_command)
