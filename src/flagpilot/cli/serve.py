"""`flagpilot serve`: run the HTTP API with uvicorn (uvloop + httptools; see docs/adr/0003)."""

from __future__ import annotations

import errno
import socket
from typing import Annotated, Any

import typer
import uvicorn

from flagpilot.cli.output import fail
from flagpilot.core import InvalidConfiguration
from flagpilot.server.asgi import create_asgi_app
from flagpilot.server.startup import DatabaseNotReady, check_database
from flagpilot.settings import Settings

APP = "flagpilot.server.asgi:create_asgi_app"
GRACEFUL_SHUTDOWN_SECONDS = 10


def log_config(level: str) -> dict[str, Any]:
    """JSON-lines logging for every worker; uvicorn's own access log is replaced by ours."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "flagpilot.api.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {"uvicorn.access": {"level": "WARNING"}},
    }


def port_in_use(host: str, port: int) -> OSError | None:
    """Why `host:port` cannot be listened on (taken, not an address of this machine), or None.

    Checked before the banner and before uvicorn starts, so that a busy port is one line of
    error rather than a banner followed by a server log.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc
    return None


def serve_command(
    host: Annotated[str, typer.Option(envvar="FLAGPILOT_HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="FLAGPILOT_PORT", min=1, max=65535, help="Port to listen on.")
    ] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (about one per core).")] = 1,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve the API: widget config, OFREP, SDK snapshot and stream, metrics."""
    try:  # fail here, with one line, rather than in every worker with a traceback
        settings = Settings.from_env()
        create_asgi_app(settings)
        check_database(settings)
    except (ValueError, InvalidConfiguration, OSError, DatabaseNotReady) as exc:
        fail(f"cannot start: {exc}")
    unavailable = port_in_use(host, port)
    if unavailable is not None:
        why = (
            "is already in use"
            if unavailable.errno == errno.EADDRINUSE
            else f"cannot be used ({unavailable.strerror})"
        )
        fail(f"cannot start: {host}:{port} {why}; choose another with --port or FLAGPILOT_PORT")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
    typer.echo(f"flagpilot API on {base}  (docs: {base}/docs, OpenAPI: {base}/openapi.json)", err=True)
    uvicorn.run(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=log_config(log_level),
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,
    )


def register(app: typer.Typer) -> None:
    """Add `serve` to the root command."""
    app.command("serve")(serve_command)
