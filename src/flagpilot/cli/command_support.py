"""What the database commands share: settings, the actor, the container, and error reporting.

Every command that touches the database opens a container for its duration, refuses to run on a
database that is not migrated to this version's schema (naming the command that fixes it), and
turns service errors into one line on stderr and a non-zero exit: 2 for bad input, 1 otherwise.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from flagpilot.api.problem_titles import title_of
from flagpilot.cli.output import fail
from flagpilot.core import FlagValue, InvalidConfiguration
from flagpilot.server.database_services import DatabaseServices, build_database_services
from flagpilot.services.clock import utc_now
from flagpilot.services.errors import InvalidInput, ServiceError
from flagpilot.settings import Settings
from flagpilot.storage import migrate
from flagpilot.storage.dialect import driver_message

ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who makes the change (default: $FLAGPILOT_ACTOR or your user name)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
EnvOption = Annotated[
    str | None, typer.Option("--env", help="Environment (default: $FLAGPILOT_ENVIRONMENT or production).")
]
"""The environment a command acts in; every command defaults it the same way (`environment_of`)."""
ReasonOption = Annotated[str, typer.Option("--reason", help="Why, for the audit trail.")]


def load_settings() -> Settings:
    """The process settings; a bad setting is an error naming it."""
    try:
        return Settings.from_env()
    except ValueError as exc:
        fail(f"bad setting: {exc}")


def environment_of(env: str | None, container: DatabaseServices) -> str:
    """`--env`, else the settings' environment (`$FLAGPILOT_ENVIRONMENT`, else production)."""
    return env or container.settings.environment


def resolve_actor(actor: str | None) -> str:
    """`--actor`, else `$FLAGPILOT_ACTOR`, else the operating-system user."""
    for candidate in (actor, os.environ.get("FLAGPILOT_ACTOR")):
        if candidate is not None and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        fail("no actor: pass --actor or set FLAGPILOT_ACTOR")


def parse_value(text: str, option: str = "--value") -> FlagValue:
    """A flag value from the command line: JSON (`true`, `3`, `{"a": 1}`), else the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        if text.lstrip().startswith(("{", "[")):
            fail(f"{option}: {text!r} is not valid JSON")
        return text


_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, option: str = "--since") -> datetime:
    """A moment: ISO 8601 (`2025-11-03T10:00`, naive means UTC) or an age like `30m`, `12h`, `7d`."""
    stripped = text.strip()
    if stripped[:-1].isdigit() and stripped[-1:] in _UNITS:
        return utc_now() - timedelta(**{_UNITS[stripped[-1]]: int(stripped[:-1])})
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        fail(f"{option}: {text!r} is neither an ISO 8601 time nor an age like 30m, 12h or 7d")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn service and configuration errors into an error line and a non-zero exit."""
    try:
        yield
    except InvalidInput as exc:
        fail(exc.detail, code=2)
    except ServiceError as exc:
        driver = driver_message(exc.__cause__)
        fail(f"{title_of(exc).lower()}: {exc.detail}" + ("" if driver is None else f" ({driver})"), code=1)
    except InvalidConfiguration as exc:
        fail(f"invalid configuration: {exc}", code=2)


def check_schema(container: DatabaseServices) -> None:
    """Fail unless the database is migrated to exactly this version's schema."""
    try:
        migrate.check_schema(container.engine)
    except migrate.DatabaseNotReady as exc:
        fail(str(exc), code=1)


@contextmanager
def open_container(*, migrated: bool = True) -> Iterator[DatabaseServices]:
    """The services over the configured database, closed afterwards; errors reported."""
    container = build_database_services(load_settings())
    try:
        if migrated:
            check_schema(container)
        with reported_errors():
            yield container
    finally:
        container.close()


def print_json_line(data: Any) -> None:
    """Print `data` as indented JSON."""
    typer.echo(json.dumps(data, indent=2, default=str))
