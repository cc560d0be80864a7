"""`flagpilot override set|clear|list`: customer and organization overrides."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from flagpilot.api.serialisers import override_page_json
from flagpilot.cli.command_support import (
    ActorOption,
    EnvOption,
    JsonOption,
    ReasonOption,
    load_settings,
    open_container,
    parse_value,
    resolve_actor,
)
from flagpilot.cli.output import fail, print_json, print_table
from flagpilot.services.stored_records import OverrideScope

override_app = typer.Typer(help="Override a flag for customers or organizations.", no_args_is_help=True)

FlagArgument = Annotated[str, typer.Argument(help="Flag key.")]
CustomerOption = Annotated[
    list[str] | None, typer.Option("--customer", help="Customer id (repeat for several).")
]
OrgOption = Annotated[list[str] | None, typer.Option("--org", help="Organization id (repeat for several).")]


def _target(customer: list[str] | None, org: list[str] | None) -> tuple[OverrideScope, list[str]]:
    if bool(customer) == bool(org):
        fail("name either --customer or --org (not both, not neither)")
    if customer:
        return OverrideScope.CUSTOMER, customer
    return OverrideScope.ORGANIZATION, org or []


def _environment(env: str | None) -> str:
    return env or load_settings().environment


@override_app.command("set")
def set_command(
    flag: FlagArgument,
    value: Annotated[str, typer.Option("--value", help="JSON value (bare text is a string).")],
    customer: CustomerOption = None,
    org: OrgOption = None,
    env: EnvOption = None,
    reason: ReasonOption = "",
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Override a flag for one or more customers (--customer) or organizations (--org)."""
    scope, subjects = _target(customer, org)
    parsed = parse_value(value)
    environment = _environment(env)
    with open_container() as container:
        count = container.flag_manager.set_overrides(
            flag,
            environment,
            scope,
            dict.fromkeys(subjects, parsed),
            actor=resolve_actor(actor),
            reason=reason,
        )
    if as_json:
        print_json({"flag": flag, "environment": environment, "scope": scope.value, "count": count})
    else:
        typer.echo(f"{flag} = {json.dumps(parsed)} for {count} {scope.value}(s) in {environment}")


@override_app.command("clear")
def clear_command(
    flag: FlagArgument,
    customer: CustomerOption = None,
    org: OrgOption = None,
    env: EnvOption = None,
    reason: ReasonOption = "",
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove overrides of a flag for the given customers or organizations."""
    scope, subjects = _target(customer, org)
    environment = _environment(env)
    with open_container() as container:
        removed = container.flag_manager.clear_overrides(
            flag, environment, scope, subjects, actor=resolve_actor(actor), reason=reason
        )
    if as_json:
        print_json({"flag": flag, "environment": environment, "scope": scope.value, "count": removed})
    else:
        typer.echo(f"removed {removed} {scope.value} override(s) of {flag} in {environment}")


@override_app.command("list")
def list_command(
    flag: FlagArgument,
    organizations: Annotated[
        bool, typer.Option("--orgs", help="List organization overrides (default: customer overrides).")
    ] = False,
    env: Annotated[str | None, typer.Option("--env", help="Only this environment.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Rows per page.")] = 100,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="Next-page cursor of a previous call.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List a flag's overrides, a page at a time."""
    scope = OverrideScope.ORGANIZATION if organizations else OverrideScope.CUSTOMER
    with open_container() as container:
        page = container.flag_manager.list_overrides(flag, scope, environment=env, cursor=cursor, limit=limit)
    if as_json:
        print_json(override_page_json(page))
        return
    print_table(
        ["ENVIRONMENT", scope.value.upper(), "VALUE", "REASON", "BY"],
        [[o.environment, o.subject_id, json.dumps(o.value), o.reason, o.created_by] for o in page.items],
    )
    if page.next_cursor:
        typer.echo(f"more: --cursor {page.next_cursor}")


def register(app: typer.Typer) -> None:
    """Add the `override` group to the root command."""
    app.add_typer(override_app, name="override")
