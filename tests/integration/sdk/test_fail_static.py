"""Fail-static start: bootstrap, then the disk cache, then the caller's defaults; recovers alone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from flagpilot.sdk import Client, Source, State
from tests.integration.sdk.conftest import eventually
from tests.integration.sdk.fake_server import FakeServer, flag, snapshot_document


def test_bootstrap__served_at_once_as_stale_until_the_server_confirms(
    server: FakeServer, make_client: Callable[..., Client]
) -> None:
    # Given a bootstrap document that says the flag is off, and a server down for now
    server.snapshot_status = 503
    bootstrap = snapshot_document(9, {"new_checkout": flag(False)})

    client = make_client(bootstrap=bootstrap)

    # Then the bootstrap is served at once, reported as what it is
    assert client.get_boolean("new_checkout", {"customerId": "c-1"}, True) is False
    assert (client.status.state, client.status.source) == (State.STALE, Source.BOOTSTRAP)
    eventually(lambda: client.status.state is State.ERROR, what="ERROR after the grace period")

    # When the server comes back, its data replaces the bootstrap
    server.snapshot_status = None
    eventually(lambda: client.status.state is State.READY, what="recovery")
    assert client.status.source is Source.NETWORK
    assert client.get_boolean("new_checkout", {"customerId": "c-1"}) is True


def test_bootstrap_file__a_bad_one_is_refused_by_the_constructor(tmp_path: Path) -> None:
    bad = tmp_path / "bootstrap.json"
    bad.write_text('{"formatVersion": 2}')

    with pytest.raises(ValueError, match="bootstrap"):
        Client("http://127.0.0.1:9", "key", bootstrap=bad)


def test_disk_cache__saved_by_one_client__serves_the_next_while_the_server_is_down(
    server: FakeServer, make_client: Callable[..., Client], tmp_path: Path
) -> None:
    # Given a client that received the snapshot and saved it
    first = make_client(cache_dir=tmp_path)
    assert first.wait_ready(10)
    eventually(lambda: list(tmp_path.glob("flagpilot-snapshot-*.json")), what="the cache file")
    first.close()

    # When the server goes down and a new client starts
    server.snapshot_status = 500
    second = make_client(cache_dir=tmp_path)

    # Then it serves the cached flags at once, as disk data
    assert (second.status.source, second.status.version) == (Source.DISK, 1)
    assert second.get_boolean("new_checkout", {"customerId": "c-1"}) is True
    assert second.status.state in (State.STALE, State.ERROR)


def test_disk_cache__a_corrupt_file_is_ignored_with_a_warning(
    server: FakeServer, make_client: Callable[..., Client], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a cache file whose body was changed after it was written
    first = make_client(cache_dir=tmp_path)
    assert first.wait_ready(10)
    (path,) = eventually(lambda: list(tmp_path.glob("flagpilot-snapshot-*.json")), what="the cache file")
    first.close()
    path.write_bytes(path.read_bytes().replace(b'"value":true', b'"value":false'))
    server.snapshot_status = 500

    # When a client starts from it
    with caplog.at_level(logging.WARNING, logger="flagpilot.sdk"):
        second = make_client(cache_dir=tmp_path)

    # Then the file is not served, and the log says why
    assert second.status.source is None
    assert second.get_boolean("new_checkout", {"customerId": "c-1"}, False) is False
    assert "checksum" in caplog.text


def test_disk_cache__rewritten_atomically_on_every_change(
    server: FakeServer, make_client: Callable[..., Client], tmp_path: Path
) -> None:
    client = make_client(cache_dir=tmp_path)
    assert client.wait_ready(10)
    (path,) = eventually(lambda: list(tmp_path.glob("flagpilot-snapshot-*.json")), what="the cache file")

    server.publish({"new_checkout": flag(False)})

    eventually(lambda: b'"version":2' in path.read_bytes(), what="the cache holding the change")
    assert not list(tmp_path.glob("*.tmp"))  # no temporary file left beside it
