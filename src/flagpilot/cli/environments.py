"""`flagpilot env create|list`: the environments flags are configured in."""

from __future__ import annotations

from typing import Annotated

import typer

from flagpilot.cli.command_support import ActorOption, JsonOption, open_container, resolve_actor
from flagpilot.cli.output import print_json, print_table

env_app = typer.Typer(help="List and add environments.", no_args_is_help=True)


@env_app.command("create")
def create_command(
    name: Annotated[str, typer.Argument(help="Lower case, e.g. qa or eu-production.")],
    description: Annotated[str, typer.Option("--description", help="What the environment is for.")] = "",
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add an environment; every flag is served there with its default until set."""
    with open_container() as container:
        record = container.flag_manager.create_environment(
            name, actor=resolve_actor(actor), description=description
        )
    if as_json:
        print_json({"name": record.name, "description": record.description})
    else:
        typer.echo(f"created environment {record.name}")


@env_app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Every environment, by name."""
    with open_container() as container:
        records = container.flag_manager.list_environments()
    if as_json:
        print_json([{"name": r.name, "description": r.description} for r in records])
        return
    print_table(["NAME", "DESCRIPTION"], [[r.name, r.description] for r in records])


def register(app: typer.Typer) -> None:
    """Add the `env` group to the root command."""
    app.add_typer(env_app, name="env")
