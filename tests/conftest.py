"""Fixtures shared by every test level: the PostgreSQL server the suite may use.

PostgreSQL tests run against `FLAGPILOT_TEST_DATABASE_URL` (the Makefile's default is a local
trust-auth server). Without a reachable server they are skipped locally, and fail in CI (`CI`
set), where skipping them would hide a broken half of the suite.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests.databases import DEFAULT_TEST_DATABASE_URL, server_unreachable

# Property tests check what holds for every example, not how fast one runs: on a loaded shared
# machine a 200 ms per-example deadline fails them at random. Speed is measured under bench/.
settings.register_profile("flagpilot", deadline=None)
settings.load_profile("flagpilot")


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The SQLAlchemy URL of the PostgreSQL server (a superuser on a maintenance database)."""
    url = os.environ.get("FLAGPILOT_TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL
    problem = server_unreachable(url)
    if problem is not None:
        message = f"PostgreSQL at FLAGPILOT_TEST_DATABASE_URL is unreachable: {problem}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url
