"""`flagpilot serve` refuses a busy port in one line, before any banner."""

from __future__ import annotations

import socket

from tests.integration.cli.conftest import Run


def test_serve__on_a_busy_port_from_the_variable__says_so_in_one_line_without_a_banner(
    initialised: Run,
) -> None:
    # Given something already listening on a loopback port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        # When the server is asked to listen there through FLAGPILOT_PORT
        result = initialised("serve", FLAGPILOT_HOST="127.0.0.1", FLAGPILOT_PORT=str(port))

    # Then it exits with one line naming the address, and never printed its banner
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"error: cannot start: 127.0.0.1:{port} is already in use; "
        "choose another with --port or FLAGPILOT_PORT"
    ]
    assert "flagpilot API on" not in result.out + result.err
