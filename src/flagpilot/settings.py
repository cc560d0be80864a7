"""Process settings, read once from environment variables by the composition root and the CLI."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flagpilot.services.rollouts import FLUSH_INTERVAL_SECONDS, RollbackRule, rule_from_environ

PREFIX = "FLAGPILOT_"
DEFAULT_DATABASE_URL = "sqlite:///./flagpilot.db"
SUPPORTED_DATABASES = ("sqlite", "postgresql")
_URL_FORMS = "sqlite:///path/to/flagpilot.db or postgresql+psycopg://user@host:5432/database"


def _flag(name: str, value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}: expected true or false, got {value!r}")


def seconds_setting(env: Mapping[str, str], name: str, default: float, maximum: float = 86_400) -> float:
    """The number of seconds in variable `name` (`default` when unset); above 0, at most `maximum`.

    Raises:
        ValueError: naming the variable, when its value is not such a number.
    """
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{name}: expected a number of seconds, got {value!r}") from None
    if not math.isfinite(seconds) or not 0 < seconds <= maximum:
        raise ValueError(f"{name}: expected a positive number of seconds up to {maximum:g}, got {value!r}")
    return seconds


def check_database_url(url: str, name: str = "FLAGPILOT_DATABASE_URL") -> str:
    """`url` if it names a database flagpilot supports; else `ValueError` naming the variable."""
    scheme, separator, _ = url.partition("://")
    backend = scheme.split("+")[0].lower()
    if not separator or not scheme:
        raise ValueError(f"{name}: {url!r} is not a database URL; expected {_URL_FORMS}")
    if backend not in SUPPORTED_DATABASES:
        raise ValueError(f"{name}: {scheme}:// is not supported; SQLite and PostgreSQL are ({_URL_FORMS})")
    if backend == "postgresql":
        try:
            urlsplit(url).port  # noqa: B018 - parsing the port is the check
        except ValueError:
            raise ValueError(
                f"{name}: {url.rsplit('@', maxsplit=1)[-1]!r} has a port that is not a number"
            ) from None
    return url


DEFAULT_ROLLBACK_CHECK_SECONDS = 5.0
MAX_RUNTIME_INTERVAL_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class RolloutRuntimeSettings:
    """How often a server's rollout runtime works and where its alerts go.

    Attributes:
        check_seconds: how often the leader runs the rollback checker
            (`FLAGPILOT_ROLLBACK_CHECK_SECONDS`, default 5).
        flush_seconds: how often counted outcomes are added to the database
            (`FLAGPILOT_OUTCOME_FLUSH_SECONDS`).
        webhook_url: where alerts are posted (`FLAGPILOT_ALERT_WEBHOOK_URL`, http or https).
        webhook_secret: signs each alert (`FLAGPILOT_ALERT_WEBHOOK_SECRET`).
        rule: the automatic-rollback rule (`FLAGPILOT_ROLLBACK_*`, see `rule_from_environ`).
        webhook_allow: the private addresses the webhook may reach
            (`FLAGPILOT_ALERT_WEBHOOK_ALLOW`).
    """

    check_seconds: float = DEFAULT_ROLLBACK_CHECK_SECONDS
    flush_seconds: float = FLUSH_INTERVAL_SECONDS
    webhook_url: str | None = None
    webhook_secret: str | None = None
    rule: RollbackRule = field(default_factory=RollbackRule)
    webhook_allow: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RolloutRuntimeSettings:
        """Read the variables above from `env`; a bad value raises `ValueError` naming it."""
        url = env.get("FLAGPILOT_ALERT_WEBHOOK_URL", "").strip() or None
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"FLAGPILOT_ALERT_WEBHOOK_URL must be an http(s) URL, got {url!r}")
        most = MAX_RUNTIME_INTERVAL_SECONDS
        return cls(
            check_seconds=seconds_setting(
                env, "FLAGPILOT_ROLLBACK_CHECK_SECONDS", DEFAULT_ROLLBACK_CHECK_SECONDS, most
            ),
            flush_seconds=seconds_setting(
                env, "FLAGPILOT_OUTCOME_FLUSH_SECONDS", FLUSH_INTERVAL_SECONDS, most
            ),
            webhook_url=url,
            webhook_secret=env.get("FLAGPILOT_ALERT_WEBHOOK_SECRET") or None,
            rule=rule_from_environ(env),
            webhook_allow=env.get("FLAGPILOT_ALERT_WEBHOOK_ALLOW") or None,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a flagpilot process is configured with.

    Attributes:
        database_url: SQLAlchemy URL (`FLAGPILOT_DATABASE_URL`); SQLite file by default.
        environment: the environment evaluated when a request names none (`FLAGPILOT_ENVIRONMENT`).
        flags_enabled: the master switch (`FLAGPILOT_FLAGS_ENABLED`); false serves built-in
            defaults only.
        config_file: TOML file with preset environment overrides (`FLAGPILOT_CONFIG`).
        cache_ttl_seconds: a snapshot older than this is rebuilt even if nothing changed: the
            last resort behind the change listener and the version poll.
        poll_seconds: how often every replica asks the database for its state version
            (`FLAGPILOT_POLL_SECONDS`, default 1).
        listen: whether to LISTEN for change notifications on PostgreSQL (`FLAGPILOT_LISTEN`);
            false behind a transaction-pooling proxy, where the poll alone propagates changes.
        ready_max_lag_seconds: `/readyz` fails when the snapshots were last confirmed current
            longer ago than this (`FLAGPILOT_READY_MAX_LAG_SECONDS`, default 10).
        database_connect_timeout_seconds: PostgreSQL: how long connecting (or pinging a pooled
            connection) may take (`FLAGPILOT_DATABASE_CONNECT_TIMEOUT_SECONDS`, default 3).
        database_statement_timeout_seconds: PostgreSQL: how long a statement may run; the server
            waits a second more for any answer, then gives the connection up, so a request never
            hangs on a database that stopped answering
            (`FLAGPILOT_DATABASE_STATEMENT_TIMEOUT_SECONDS`, default 30: writers queue for the
            write lock under contention, and a wait for it is a statement too).
        bootstrap_admin_token: an admin token to create at start (`FLAGPILOT_BOOTSTRAP_ADMIN_TOKEN`).
        cors_origins: origins allowed to call the admin and SDK routes from a browser
            (`FLAGPILOT_CORS_ORIGINS`); the widget, OFREP and event routes allow every origin.
        access_log: one JSON line per request (`FLAGPILOT_ACCESS_LOG`, default true).
        stream_heartbeat_seconds: how often an idle change stream sends a comment
            (`FLAGPILOT_STREAM_HEARTBEAT_SECONDS`, default 15).
        loop_lag_interval_seconds: how often the event loop's lag is probed
            (`FLAGPILOT_LOOP_LAG_PROBE_SECONDS`, default 0.05).
        evaluation_flush_seconds: how often the evaluations the serving routes counted are
            added to the database (`FLAGPILOT_EVALUATION_FLUSH_SECONDS`, default 60).
        stale_after_days: the admin UI marks a flag stale when no serving route evaluated it
            for this many days (`FLAGPILOT_STALE_AFTER_DAYS`, default 7).
        rollouts: the rollout runtime's settings (`RolloutRuntimeSettings`).
        environ: the `FLAGPILOT_*` variables only, for the preset's overrides
            (`FLAGPILOT_PRESET__…`); never the rest of the process environment.
    """

    database_url: str = DEFAULT_DATABASE_URL
    environment: str = "production"
    flags_enabled: bool = True
    config_file: Path | None = None
    cache_ttl_seconds: float = 300.0
    poll_seconds: float = 1.0
    listen: bool = True
    ready_max_lag_seconds: float = 10.0
    database_connect_timeout_seconds: float = 3.0
    database_statement_timeout_seconds: float = 30.0
    bootstrap_admin_token: str | None = None
    cors_origins: tuple[str, ...] = ()
    access_log: bool = True
    stream_heartbeat_seconds: float = 15.0
    loop_lag_interval_seconds: float = 0.05
    evaluation_flush_seconds: float = 60.0
    stale_after_days: float = 7.0
    rollouts: RolloutRuntimeSettings = field(default_factory=RolloutRuntimeSettings)
    environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `environ` (the process environment by default).

        Raises:
            ValueError: a variable has a bad value; the message starts with its name.
        """
        env = dict(os.environ if environ is None else environ)
        config = env.get("FLAGPILOT_CONFIG")
        if config is None and Path("flagpilot.toml").is_file():
            config = "flagpilot.toml"
        origins = env.get("FLAGPILOT_CORS_ORIGINS", "")
        return cls(
            database_url=check_database_url(env.get("FLAGPILOT_DATABASE_URL") or DEFAULT_DATABASE_URL),
            environment=env.get("FLAGPILOT_ENVIRONMENT") or "production",
            flags_enabled=_flag("FLAGPILOT_FLAGS_ENABLED", env.get("FLAGPILOT_FLAGS_ENABLED"), True),
            config_file=Path(config) if config else None,
            cache_ttl_seconds=seconds_setting(env, "FLAGPILOT_CACHE_TTL_SECONDS", 300.0),
            poll_seconds=seconds_setting(env, "FLAGPILOT_POLL_SECONDS", 1.0),
            listen=_flag("FLAGPILOT_LISTEN", env.get("FLAGPILOT_LISTEN"), True),
            ready_max_lag_seconds=seconds_setting(env, "FLAGPILOT_READY_MAX_LAG_SECONDS", 10.0),
            database_connect_timeout_seconds=seconds_setting(
                env, "FLAGPILOT_DATABASE_CONNECT_TIMEOUT_SECONDS", 3.0, 300
            ),
            database_statement_timeout_seconds=seconds_setting(
                env, "FLAGPILOT_DATABASE_STATEMENT_TIMEOUT_SECONDS", 30.0, 3600
            ),
            bootstrap_admin_token=env.get("FLAGPILOT_BOOTSTRAP_ADMIN_TOKEN") or None,
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            access_log=_flag("FLAGPILOT_ACCESS_LOG", env.get("FLAGPILOT_ACCESS_LOG"), True),
            stream_heartbeat_seconds=seconds_setting(env, "FLAGPILOT_STREAM_HEARTBEAT_SECONDS", 15.0),
            loop_lag_interval_seconds=seconds_setting(env, "FLAGPILOT_LOOP_LAG_PROBE_SECONDS", 0.05),
            evaluation_flush_seconds=seconds_setting(env, "FLAGPILOT_EVALUATION_FLUSH_SECONDS", 60.0),
            stale_after_days=seconds_setting(env, "FLAGPILOT_STALE_AFTER_DAYS", 7.0, 3650),
            rollouts=RolloutRuntimeSettings.from_env(env),
            environ={name: value for name, value in env.items() if name.startswith(PREFIX)},
        )
