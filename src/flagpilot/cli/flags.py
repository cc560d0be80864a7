"""`flagpilot flags list|get|create|edit|archive|restore|set|clear|kill|unkill`: flags, their
definitions and their environment settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated

import typer

from flagpilot.api.serialisers import flag_json
from flagpilot.cli.command_support import (
    ActorOption,
    EnvOption,
    JsonOption,
    ReasonOption,
    environment_of,
    open_container,
    parse_value,
    resolve_actor,
)
from flagpilot.cli.output import fail, print_json, print_table
from flagpilot.core import FlagDefinition, FlagType
from flagpilot.services.flags import EnvironmentState, FlagView

flags_app = typer.Typer(help="List, inspect and change flags.", no_args_is_help=True)

FlagArgument = Annotated[str, typer.Argument(help="Flag key, e.g. phase2_enhanced_storage.")]
PhaseOption = Annotated[int | None, typer.Option("--phase", min=1, max=3, help="Release phase: 1, 2 or 3.")]
DescriptionOption = Annotated[str | None, typer.Option("--description", help="What the flag controls.")]
RequiresOption = Annotated[
    list[str] | None,
    typer.Option("--requires", help="A prerequisite flag that must be on (repeat for several)."),
]
VersionOption = Annotated[
    int | None,
    typer.Option("--expected-version", help="Refuse the change if the flag's version is no longer this."),
]


def _state(state: EnvironmentState) -> str:
    parts = []
    if state.killed:
        parts.append("KILLED")
    if state.setting is not None and state.setting.has_value:
        parts.append("=" + json.dumps(state.setting.value))
    if state.rollout is not None:
        rollout = state.rollout
        parts.append(f"{rollout.status.value}@{rollout.percentage:g}%")
    overrides = state.customer_overrides + state.organization_overrides
    if overrides:
        parts.append(f"{overrides} overrides")
    return " ".join(parts) or "-"


def _print_view(view: FlagView) -> None:
    definition = view.record.definition
    typer.echo(f"{definition.key}  (version {view.version}{', archived' if view.record.archived else ''})")
    default = json.dumps(definition.default)
    typer.echo(f"  type: {definition.type.value}  default: {default}  phase: {definition.phase}")
    if definition.description:
        typer.echo(f"  {definition.description}")
    if definition.prerequisites:
        typer.echo(f"  requires: {', '.join(definition.prerequisites)}")
    print_table(
        ["ENVIRONMENT", "KILLED", "VALUE", "ROLLOUT", "CUSTOMERS", "ORGANIZATIONS"],
        [
            [
                name,
                "yes" if state.killed else "no",
                json.dumps(state.setting.value)
                if state.setting is not None and state.setting.has_value
                else "-",
                "-"
                if state.rollout is None
                else f"{state.rollout.status.value} {state.rollout.current_tier.value} "
                f"{state.rollout.percentage:g}%",
                state.customer_overrides,
                state.organization_overrides,
            ]
            for name, state in view.environments.items()
        ],
    )


@flags_app.command("list")
def list_command(
    as_json: JsonOption = False,
    archived: Annotated[bool, typer.Option("--archived", help="Include archived flags.")] = False,
) -> None:
    """List flags with their state in every environment."""
    with open_container() as container:
        views = container.flag_manager.list_flags(include_archived=archived)
    if as_json:
        print_json([flag_json(view) for view in views])
        return
    environments = list(views[0].environments) if views else []
    print_table(
        ["KEY", "PHASE", "TYPE", "DEFAULT", *(env.upper() for env in environments), "VERSION"],
        [
            [
                view.key,
                view.record.definition.phase or "-",
                view.record.definition.type.value,
                json.dumps(view.record.definition.default),
                *(_state(view.environments[env]) for env in environments),
                view.version,
            ]
            for view in views
        ],
    )


@flags_app.command("get")
def get_command(flag: FlagArgument, as_json: JsonOption = False) -> None:
    """Show one flag: definition, and per environment kill switch, value, rollout and overrides."""
    with open_container() as container:
        view = container.flag_manager.get_flag(flag)
    if as_json:
        print_json(flag_json(view))
    else:
        _print_view(view)


@flags_app.command("create")
def create_command(
    flag: FlagArgument,
    flag_type: Annotated[FlagType, typer.Option("--type", help="The value type.")] = FlagType.BOOL,
    default: Annotated[
        str | None, typer.Option("--default", help='JSON default value (default: false, "", 0 or {}).')
    ] = None,
    phase: PhaseOption = None,
    description: DescriptionOption = None,
    requires: RequiresOption = None,
    reason: ReasonOption = "",
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a flag of any type, with its default, phase, description and prerequisites."""
    empty = {FlagType.BOOL: False, FlagType.STRING: "", FlagType.NUMBER: 0, FlagType.JSON: {}}
    definition = FlagDefinition(
        key=flag,
        type=flag_type,
        default=empty[flag_type] if default is None else parse_value(default, "--default"),
        phase=phase,
        description=description or "",
        prerequisites=tuple(requires or ()),
    )
    with open_container() as container:
        view = container.flag_manager.create_flag(definition, actor=resolve_actor(actor), reason=reason)
    _done(view, as_json, f"created {flag} ({flag_type.value}, default {json.dumps(definition.default)})")


@flags_app.command("edit")
def edit_command(
    flag: FlagArgument,
    default: Annotated[str | None, typer.Option("--default", help="JSON default value.")] = None,
    phase: PhaseOption = None,
    no_phase: Annotated[bool, typer.Option("--no-phase", help="Remove the flag's phase.")] = False,
    description: DescriptionOption = None,
    requires: RequiresOption = None,
    no_requires: Annotated[bool, typer.Option("--no-requires", help="Remove every prerequisite.")] = False,
    reason: ReasonOption = "",
    expected_version: VersionOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a flag's default, phase, description or prerequisites; the rest stay."""
    changes: dict[str, object] = {}
    if default is not None:
        changes["default"] = parse_value(default, "--default")
    if phase is not None or no_phase:
        changes["phase"] = None if no_phase else phase
    if description is not None:
        changes["description"] = description
    if requires is not None or no_requires:
        changes["prerequisites"] = [] if no_requires else list(requires or ())
    if not changes:
        fail("nothing to change: give --default, --phase, --description or --requires")
    with open_container() as container:
        view = container.flag_manager.update_flag(
            flag, changes, actor=resolve_actor(actor), expected_version=expected_version, reason=reason
        )
    _done(view, as_json, f"changed {', '.join(changes)} of {flag}")


def _register_pair(
    names: tuple[str, str], docs: tuple[str, str], build: Callable[[bool], Callable[..., None]]
) -> None:
    """Register two commands that differ only in direction: `build(True)` and `build(False)`."""
    for direction, name, doc in zip((True, False), names, docs, strict=True):
        command = build(direction)
        command.__doc__ = doc
        flags_app.command(name)(command)


def _archive_command(archived: bool) -> Callable[..., None]:
    """`archive` (archived=True) or `restore`."""

    def command(
        flag: FlagArgument,
        reason: ReasonOption = "",
        expected_version: VersionOption = None,
        actor: ActorOption = None,
        as_json: JsonOption = False,
    ) -> None:
        with open_container() as container:
            change = container.flag_manager.archive_flag if archived else container.flag_manager.restore_flag
            view = change(flag, actor=resolve_actor(actor), expected_version=expected_version, reason=reason)
        _done(view, as_json, f"{flag} {'archived' if archived else 'restored'}")

    return command


_register_pair(
    ("archive", "restore"),
    (
        "Stop serving a flag, keeping its settings and overrides (restore brings it back).",
        "Serve an archived flag again.",
    ),
    _archive_command,
)


@flags_app.command("set")
def set_command(
    flag: FlagArgument,
    value: Annotated[
        str, typer.Option("--value", help='JSON value: true, 3, "text", {"a": 1} (bare text is a string).')
    ],
    env: EnvOption = None,
    reason: ReasonOption = "",
    expected_version: VersionOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set a flag's value in an environment."""
    parsed = parse_value(value)
    with open_container() as container:
        environment = environment_of(env, container)
        view = container.flag_manager.set_value(
            flag,
            environment,
            parsed,
            actor=resolve_actor(actor),
            expected_version=expected_version,
            reason=reason,
        )
    _done(view, as_json, f"{flag} = {json.dumps(parsed)} in {environment}")


@flags_app.command("clear")
def clear_command(
    flag: FlagArgument,
    env: EnvOption = None,
    reason: ReasonOption = "",
    expected_version: VersionOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove a flag's value in an environment (it falls back to the default)."""
    with open_container() as container:
        environment = environment_of(env, container)
        view = container.flag_manager.clear_value(
            flag, environment, actor=resolve_actor(actor), expected_version=expected_version, reason=reason
        )
    _done(view, as_json, f"{flag} has no value in {environment}")


def _switch_command(killed: bool) -> Callable[..., None]:
    """`kill` (killed=True) or `unkill`: the two differ only in the direction."""

    def command(
        flag: FlagArgument,
        env: EnvOption = None,
        reason: ReasonOption = "",
        actor: ActorOption = None,
        as_json: JsonOption = False,
    ) -> None:
        with open_container() as container:
            environment = environment_of(env, container)
            flip = container.flag_manager.kill if killed else container.flag_manager.unkill
            view = flip(flag, environment, actor=resolve_actor(actor), reason=reason)
        _done(view, as_json, f"{flag} {'killed' if killed else 'no longer killed'} in {environment}")

    return command


_register_pair(
    ("kill", "unkill"),
    (
        "Turn the kill switch on: the flag is off for everyone in the environment.",
        "Turn the kill switch off again.",
    ),
    _switch_command,
)


def _done(view: FlagView, as_json: bool, message: str) -> None:
    if as_json:
        print_json(flag_json(view))
    else:
        typer.echo(f"{message} (version {view.version})")


def register(app: typer.Typer) -> None:
    """Add the `flags` group to the root command."""
    app.add_typer(flags_app, name="flags")
