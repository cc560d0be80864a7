"""Two real `flagpilot serve` processes on one PostgreSQL database share what the admin UI counts:
failed sign-ins on one lock the user out of the other, and an evaluation served by one clears
the stale mark on the other's flags page."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.databases import create_database, drop_database, unique_name
from tests.e2e.server import ServerProcess, running_server

pytestmark = pytest.mark.postgres

FLAGS = "/dashboard/admin/feature-flags"
STALE_AFTER_DAYS = 0.00025
"""About 22 s: flags created at setup are stale soon after the servers start, and an evaluation
keeps a flag fresh long enough to see it from the other server."""
EVALUATED = "phase3_analytics"
NEVER_EVALUATED = "phase3_tab_sync"
MAX_FAILURES = 5
BOUND_SECONDS = 90.0


@pytest.fixture(scope="module")
def replicas(postgres_server_url: str) -> Iterator[list[ServerProcess]]:
    """Two servers on one fresh PostgreSQL database (the preset), counting evaluations often."""
    name = unique_name("flagpilot_ui_replicas")
    url = create_database(postgres_server_url, name)
    environ = {
        "FLAGPILOT_DATABASE_URL": url,
        "FLAGPILOT_ACCESS_LOG": "false",
        "FLAGPILOT_EVALUATION_FLUSH_SECONDS": "0.3",
        "FLAGPILOT_STALE_AFTER_DAYS": str(STALE_AFTER_DAYS),
    }
    try:
        with ExitStack() as stack:
            yield [stack.enter_context(running_server(environ, setup=[["init"]])) for _ in range(2)]
    finally:
        drop_database(postgres_server_url, name)


def _sign_in(server: ServerProcess, login: str, password: str) -> tuple[httpx.Client, httpx.Response]:
    """A client of `server` after one sign-in attempt, and the answer to it."""
    client = httpx.Client(base_url=server.base_url, timeout=30)
    form = client.get("/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post(
        "/admin/login", data={"login": login, "password": password, "csrf_token": token.group(1)}
    )
    return client, answer


def _eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + BOUND_SECONDS
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {BOUND_SECONDS:.0f} s")


def test_failed_sign_ins_on_one_server__lock_the_user_on_the_other(replicas: list[ServerProcess]) -> None:
    first, second = replicas
    first.run("user", "create", "lena", "--role", "viewer", "--password-stdin", stdin="right-password-1\n")
    client, answer = _sign_in(second, "lena", "right-password-1")  # the password works on both
    assert client.get(FLAGS).status_code == 200
    client.close()

    for _ in range(MAX_FAILURES):
        client, answer = _sign_in(first, "lena", "wrong-password")
        client.close()
        assert answer.status_code == 401, answer.text

    client, answer = _sign_in(second, "lena", "right-password-1")
    assert answer.status_code == 429, answer.text
    assert int(answer.headers["retry-after"]) > 0
    assert client.get(FLAGS, follow_redirects=False).status_code == 303  # not signed in
    client.close()


def _row(page: str, key: str) -> str:
    found = re.search(rf'<tr id="flag-{re.escape(key)}">.*?</tr>', page, re.DOTALL)
    assert found is not None, f"no row of {key} on the flags page"
    return found.group(0)


def _stale(client: httpx.Client, key: str) -> bool:
    return 'class="tag stale"' in _row(client.get(FLAGS).text, key)


def test_an_evaluation_served_by_one_server__clears_stale_on_the_others_flags_page(
    replicas: list[ServerProcess],
) -> None:
    first, second = replicas
    second.run("user", "create", "sam", "--role", "viewer", "--password-stdin", stdin="right-password-2\n")
    client, answer = _sign_in(second, "sam", "right-password-2")
    assert answer.status_code == 303, answer.text
    key = first.issue("server-sdk")
    try:
        _eventually(lambda: _stale(client, EVALUATED), f"{EVALUATED} was not marked stale")

        evaluated = httpx.post(
            first.url(f"/ofrep/v1/evaluate/flags/{EVALUATED}"),
            json={"context": {"targetingKey": "customer-1"}},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert evaluated.status_code == 200, evaluated.text

        _eventually(lambda: not _stale(client, EVALUATED), f"{EVALUATED} is still stale on the other server")
        assert _stale(client, NEVER_EVALUATED)
    finally:
        client.close()
