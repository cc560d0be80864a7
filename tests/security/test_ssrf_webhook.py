"""SSRF through the alert webhook: only public addresses, checked when the connection is made.

A receiver listens on loopback; the poster must refuse to reach it — by address, by a name that
resolves to it, in IPv4-mapped, decimal and octal spellings — unless the allow-list names it, and
must refuse private and link-local addresses (the cloud metadata service) outright. A redirect
is never followed.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from flagpilot.services.rollouts import PostFailed
from flagpilot.storage.webhook_http import Allowance, HttpxPoster, is_public


class _Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits = 0

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        assert isinstance(self.server, _Receiver)
        self.server.hits += 1
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        else:
            self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "2130706433", "0x7f000001", "127.1"],
)
def test_ssrf__loopback_in_any_spelling__is_refused_at_connect_time(receiver: _Receiver, host: str) -> None:
    poster = HttpxPoster()
    try:
        with pytest.raises(PostFailed, match=r"not a public address|cannot resolve"):
            poster.post(f"http://{host}:{receiver.port}/hook", b"{}", {}, 2.0)
    finally:
        poster.close()
    assert receiver.hits == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://[fd00::1]/",
        "http://[::1]/",
        "http://0.0.0.0/",
    ],
)
def test_ssrf__private_and_link_local_addresses__are_refused_without_connecting(url: str) -> None:
    poster = HttpxPoster()
    try:
        with pytest.raises(PostFailed, match="not a public address"):
            poster.post(url, b"{}", {}, 2.0)
    finally:
        poster.close()


def test_ssrf__an_allow_listed_address__is_delivered(receiver: _Receiver) -> None:
    poster = HttpxPoster(Allowance.parse("127.0.0.1"))
    try:
        assert poster.post(f"http://127.0.0.1:{receiver.port}/hook", b"{}", {}, 5.0) == 204
    finally:
        poster.close()
    assert receiver.hits == 1


def test_ssrf__a_redirect_to_the_metadata_service__is_not_followed(receiver: _Receiver) -> None:
    poster = HttpxPoster(Allowance.parse("127.0.0.0/8"))
    try:
        assert poster.post(f"http://127.0.0.1:{receiver.port}/redirect", b"{}", {}, 5.0) == 302
    finally:
        poster.close()
    assert receiver.hits == 1


def test_ssrf__allow_list_names_hosts_and_networks_not_everything() -> None:
    allowance = Allowance.parse("relay.internal, 10.1.0.0/16")
    assert allowance.permits("relay.internal", ipaddress.ip_address("10.9.9.9"))
    assert allowance.permits("other", ipaddress.ip_address("10.1.2.3"))
    assert not allowance.permits("other", ipaddress.ip_address("10.2.0.1"))
    assert not allowance.permits("other", ipaddress.ip_address("::ffff:10.2.0.1"))
    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert not is_public(ipaddress.ip_address("::ffff:169.254.169.254"))
