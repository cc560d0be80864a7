"""Apply, revert and inspect the schema migrations shipped in `flagpilot/storage/migrations`.

`check_schema` is the one judgement of "may this code use that database": the server refuses to
start and every CLI command refuses to run on a database that is unreachable, empty, or at
another revision, naming the command that fixes it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from flagpilot.storage.engine import WRITE_OPTION, build_engine, is_postgresql, sqlite_file

SCRIPT_LOCATION = "flagpilot.storage:migrations"
BASE = "base"


def alembic_config(engine: Engine | None = None, url: str | None = None) -> Config:
    """An Alembic configuration over the packaged migrations, for `engine` or `url`."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def _run(engine: Engine, action: str, revision: str) -> None:
    config = alembic_config(engine)
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as connection:
        config.attributes["connection"] = connection
        if action == "upgrade":
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)
        connection.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database of `engine` up to `revision` (the newest by default)."""
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database of `engine` down to `revision` (`base` empties it)."""
    _run(engine, "downgrade", revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with this version of flagpilot."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations are shipped")
    return head


def revisions() -> list[str]:
    """Every shipped revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database named in `url` if it does not exist yet.

    SQLite creates its file on first connection, so there is nothing to do for it.

    Returns:
        True if a database was created.
    """
    if not is_postgresql(url):
        return False
    parsed = make_url(url)
    name = parsed.database
    if not name:
        raise ValueError("the database URL names no database")
    admin = build_engine(parsed.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if exists:
                return False
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
            return True
    finally:
        admin.dispose()


class DatabaseNotReady(RuntimeError):
    """The database cannot be read, or is not migrated to this version's schema."""


def _not_initialised(url: str) -> str:
    return (
        f"the database at {url} is not initialised: run `flagpilot init` "
        "(with the same FLAGPILOT_DATABASE_URL) first"
    )


def check_schema(engine: Engine) -> None:
    """Refuse a database that is unreachable, empty, or at another revision than this code's.

    Raises:
        DatabaseNotReady: saying which, and the command that fixes it.
    """
    url = engine.url.render_as_string(hide_password=True)
    database = sqlite_file(engine.url)
    if database is not None and not Path(database).is_file():  # connecting would create an empty file
        raise DatabaseNotReady(_not_initialised(url))
    try:
        current = current_revision(engine)
    except DBAPIError as exc:
        raise DatabaseNotReady(f"cannot read the database at {url}: {str(exc.orig).strip()}") from exc
    head = head_revision()
    if current is None:
        raise DatabaseNotReady(_not_initialised(url))
    if current != head:
        raise DatabaseNotReady(
            f"the database at {url} is at revision {current}, this flagpilot needs {head}: "
            "run `flagpilot db upgrade`"
        )
