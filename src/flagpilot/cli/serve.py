"""`flagpilot serve`: run the HTTP API with uvicorn (uvloop + httptools; see docs/adr/0003)."""

from __future__ import annotations

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


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
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
