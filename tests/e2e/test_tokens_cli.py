"""`flagpilot token create --json` against a real server's database, then the token over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx

from tests.e2e.server import FLAGPILOT, running_server


def _flagpilot(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(FLAGPILOT), *args], env=env, check=True, capture_output=True, text=True)
    return done.stdout


def test_token_created_by_the_cli__works_on_the_running_server_until_revoked(tmp_path: Path) -> None:
    database = {"FLAGPILOT_DATABASE_URL": f"sqlite:///{tmp_path}/flagpilot.db", "FLAGPILOT_ACTOR": "ops"}
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("FLAGPILOT_")}, **database}
    with running_server(database, setup=[["init"]]) as server:
        # Given an editor token made with the CLI while the server runs
        issued = json.loads(_flagpilot(env, "token", "create", "--kind", "editor", "--name", "ops", "--json"))
        headers = {"Authorization": f"Bearer {issued['secret']}"}

        # When it switches a flag off, and is then revoked
        killed = httpx.post(
            server.url("/api/admin/flags/phase2_retry_logic/kill"),
            json={"environment": "production", "reason": "retry storm"},
            headers=headers,
        )
        tokens = httpx.get(server.url("/api/admin/tokens"), headers=headers)
        _flagpilot(env, "token", "revoke", issued["tokenId"])
        listed = json.loads(_flagpilot(env, "token", "list", "--json"))

    # Then it could change flags but not manage tokens, and the revocation is on record
    assert issued["kind"] == "editor"
    assert killed.status_code == 200
    assert killed.json()["environments"]["production"]["killed"] is True
    assert tokens.status_code == 403
    assert next(t for t in listed if t["tokenId"] == issued["tokenId"])["revokedAt"] is not None


def test_serve__on_an_uninitialised_database__refuses_to_start_and_names_flagpilot_init(
    tmp_path: Path,
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FLAGPILOT_")},
        "FLAGPILOT_DATABASE_URL": f"sqlite:///{tmp_path}/none.db",
    }

    done = subprocess.run(
        [str(FLAGPILOT), "serve", "--port", "1"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.returncode != 0
    assert "run `flagpilot init`" in done.stderr
    assert not (tmp_path / "none.db").exists()
