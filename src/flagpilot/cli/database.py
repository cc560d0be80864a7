"""`flagpilot init` and `flagpilot db upgrade|downgrade|current`: the database's lifecycle."""

from __future__ import annotations

from typing import Annotated

import typer
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from flagpilot.cli.command_support import (
    ActorOption,
    load_settings,
    open_container,
    reported_errors,
    resolve_actor,
)
from flagpilot.cli.output import fail
from flagpilot.cli.source import preset_overrides
from flagpilot.services.flags.preset import install_preset
from flagpilot.storage import build_engine, migrate
from flagpilot.storage.migrate import ensure_database

db_app = typer.Typer(help="Migrate the database schema.", no_args_is_help=True)


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _migrate(action: str, revision: str, *, quiet: bool = False) -> bool:
    """Migrate; print where the database ended up unless `quiet`; return whether it moved."""
    settings = load_settings()
    engine = build_engine(settings.database_url)
    try:
        if action == "upgrade":
            ensure_database(settings.database_url)
        before = migrate.current_revision(engine)
        if action == "upgrade":
            migrate.upgrade(engine, revision)
        else:
            migrate.downgrade(engine, revision)
        after = migrate.current_revision(engine)
        if not quiet:
            typer.echo(f"{_shown(settings.database_url)} is at revision {after or 'base (empty)'}")
        return before != after
    except CommandError as exc:
        fail(f"REVISION: {exc}")
    except DBAPIError as exc:
        fail(f"cannot migrate {_shown(settings.database_url)}: {str(exc.orig).strip()}", code=1)
    finally:
        engine.dispose()


@db_app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Argument(help="Target revision (default: the newest).")] = "head",
) -> None:
    """Migrate the database up (creating a missing PostgreSQL database first)."""
    _migrate("upgrade", revision)


@db_app.command("downgrade")
def downgrade_command(
    revision: Annotated[
        str, typer.Argument(help="Target revision: an id, -1 (one step), or base (empty).")
    ] = "-1",
) -> None:
    """Migrate the database down (`base` removes every table)."""
    _migrate("downgrade", revision)


@db_app.command("current")
def current_command() -> None:
    """Print the revision the database is at, and the newest this flagpilot ships."""
    settings = load_settings()
    engine = build_engine(settings.database_url)
    try:
        current = migrate.current_revision(engine)
    except DBAPIError as exc:
        fail(f"cannot read {_shown(settings.database_url)}: {str(exc.orig).strip()}", code=1)
    finally:
        engine.dispose()
    head = migrate.head_revision()
    marker = " (head)" if current == head else f" (newest: {head})"
    typer.echo(f"{current or 'base (empty)'}{marker}")


def init_command(actor: ActorOption = None) -> None:
    """Create and migrate the database, then load the chat-widget preset (idempotent)."""
    who = resolve_actor(actor)
    settings = load_settings()
    with reported_errors():
        overrides = preset_overrides(settings)
    try:
        created = ensure_database(settings.database_url)
    except DBAPIError as exc:
        fail(f"cannot create {_shown(settings.database_url)}: {str(exc.orig).strip()}", code=1)
    migrated = _migrate("upgrade", "head", quiet=True)
    with open_container() as container:
        report = install_preset(container.flag_manager, actor=who, overrides=overrides)
    where = _shown(settings.database_url)
    if not (created or migrated or report.changed):
        typer.echo(f"{where} is already initialised: nothing changed")
        return
    typer.echo(
        f"{where} is at revision {migrate.head_revision()}; created {len(report.environments)} "
        f"environments and {len(report.flags)} flags, set {len(report.values)} environment values"
    )


def register(app: typer.Typer) -> None:
    """Add `init` and the `db` group to the root command."""
    app.command("init")(init_command)
    app.add_typer(db_app, name="db")
