"""`pip install flagpilot[sdk]` is enough: the SDK imports nothing of the server."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[3]
SERVER_ONLY = {"sqlalchemy", "alembic", "psycopg", "fastapi", "starlette", "uvicorn", "orjson", "typer"}


def imported_after(code: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after running `code`."""
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_import__loads_only_the_core_and_the_standard_library() -> None:
    at_start = imported_after("pass")  # whatever the environment loads anyway (.pth hooks)

    loaded = imported_after("import flagpilot.sdk") - at_start

    assert loaded - set(sys.stdlib_module_names) == {"flagpilot", "mmh3"}


def test_running_client_and_provider__load_only_what_the_sdk_extra_installs() -> None:
    code = (
        "from flagpilot.sdk import Client, FlagpilotProvider, AsyncClient\n"
        "c = Client('http://127.0.0.1:9', 'key')\n"
        "p = FlagpilotProvider(c)\n"
        "c.wait_ready(0.2); c.close()"
    )
    loaded = imported_after(code)
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["sdk"]

    assert not loaded & SERVER_ONLY
    assert {"httpx", "openfeature"} <= loaded
    assert {"httpx>=0.27", "openfeature-sdk>=0.10"} <= set(extra)  # (and the OFREP provider of docs/api.md)
