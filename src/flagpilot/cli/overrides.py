"""`flagpilot override set|clear|list`: customer and organization overrides.

`set` and `clear` take their ids from `--customer` / `--org` (repeated) and from files of ids,
one a line (`--customers-from`, `--orgs-from`): a pilot group of thousands is one call, one
transaction and one audit row.
"""

from __future__ import annotations

import json
from pathlib import Path
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
CustomersFromOption = Annotated[
    Path | None,
    typer.Option("--customers-from", help="A file of customer ids, one a line (- for stdin)."),
]
OrgsFromOption = Annotated[
    Path | None,
    typer.Option("--orgs-from", help="A file of organization ids, one a line (- for stdin)."),
]


def _ids_from(path: Path | None, option: str) -> list[str]:
    """The non-blank lines of `path`, stripped; none without a path."""
    if path is None:
        return []
    try:
        text = typer.get_text_stream("stdin").read() if str(path) == "-" else path.read_text("utf-8")
    except OSError as exc:
        fail(f"{option}: cannot read {path}: {exc.strerror}")
    except UnicodeDecodeError:
        fail(f"{option}: {path} is not UTF-8 text")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _target(
    customer: list[str] | None,
    org: list[str] | None,
    customers_from: Path | None = None,
    orgs_from: Path | None = None,
) -> tuple[OverrideScope, list[str]]:
    customers = [*(customer or []), *_ids_from(customers_from, "--customers-from")]
    orgs = [*(org or []), *_ids_from(orgs_from, "--orgs-from")]
    if bool(customers) == bool(orgs):
        fail(
            "name either customers (--customer, --customers-from) or organizations "
            "(--org, --orgs-from): not both, not neither"
        )
    if customers:
        return OverrideScope.CUSTOMER, list(dict.fromkeys(customers))
    return OverrideScope.ORGANIZATION, list(dict.fromkeys(orgs))


def _environment(env: str | None) -> str:
    return env or load_settings().environment


@override_app.command("set")
def set_command(
    flag: FlagArgument,
    value: Annotated[str, typer.Option("--value", help="JSON value (bare text is a string).")],
    customer: CustomerOption = None,
    org: OrgOption = None,
    customers_from: CustomersFromOption = None,
    orgs_from: OrgsFromOption = None,
    env: EnvOption = None,
    reason: ReasonOption = "",
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Override a flag for one or more customers or organizations, in one transaction."""
    scope, subjects = _target(customer, org, customers_from, orgs_from)
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
    customers_from: CustomersFromOption = None,
    orgs_from: OrgsFromOption = None,
    env: EnvOption = None,
    reason: ReasonOption = "",
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove overrides of a flag for the given customers or organizations."""
    scope, subjects = _target(customer, org, customers_from, orgs_from)
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
