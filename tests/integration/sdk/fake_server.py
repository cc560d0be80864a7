"""An in-process stand-in for a flagpilot server's SDK routes, that misbehaves on request.

It speaks the real wire format (the snapshot with its `ETag`, the SSE stream with
`Last-Event-ID`, `POST /api/events`) on a free loopback port, and a test can make any route
answer an error, hang, answer late, drop its streams, stay silent, or send malformed or huge data:

    with FakeServer() as server:
        server.snapshot_status = 500
        server.publish({"new_checkout": {"type": "bool", "defaultValue": False, "value": True}})
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

KEY = "fp_server-sdk_test"
ENVIRONMENT = "production"


def flag(value: Any = True, **fields: Any) -> dict[str, Any]:
    """A flag in the wire format with an environment value (bool unless said otherwise)."""
    kind = {bool: "bool", str: "string", int: "number", float: "number"}.get(type(value), "json")
    default = {"bool": False, "string": "", "number": 0}.get(kind, {})
    return {"type": kind, "defaultValue": default, "value": value, **fields}


def snapshot_document(version: int, flags: dict[str, Any], environment: str = ENVIRONMENT) -> dict[str, Any]:
    """A snapshot in the wire format."""
    return {"formatVersion": 1, "environment": environment, "version": version, "flags": flags}


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    at: float


class FakeServer:
    """The SDK routes of a flagpilot server, with knobs for every way a server can fail."""

    def __init__(self, flags: dict[str, Any] | None = None) -> None:
        self.version = 1
        self.flags: dict[str, Any] = flags if flags is not None else {"new_checkout": flag(True)}
        self.snapshot_status: int | None = None  # answer this status instead of the snapshot
        self.snapshot_body: bytes | None = None  # answer these bytes as the snapshot (malformed data)
        self.snapshot_delay = 0.0
        self.stream_status: int | None = None  # answer this instead of the stream
        self.stream_content_type = "text/event-stream"
        self.stream_prelude = b""  # raw bytes each stream sends first (a huge line, garbage)
        self.silent_streams = False  # open streams send nothing, not even their first event
        self.heartbeat: float | None = None
        self.events_status = 202
        self.hanging = threading.Event()  # set: every request waits until it is cleared
        self.requests: list[Seen] = []
        self.batches: list[list[dict[str, Any]]] = []
        self._changed = threading.Condition()
        self._generation = 0
        self._stopping = False
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever, args=(0.05,), name="fake-flag-server", daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL."""
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def document(self) -> dict[str, Any]:
        """The snapshot served now."""
        return snapshot_document(self.version, self.flags)

    def publish(self, flags: dict[str, Any]) -> int:
        """Serve `flags` at the next version and announce it on every stream; the version."""
        with self._changed:
            self.flags = flags
            self.version += 1
            self._changed.notify_all()
            return self.version

    def drop_streams(self) -> None:
        """End every open stream (the client must reconnect)."""
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def count(self, path: str) -> int:
        """How many requests `path` received."""
        return sum(1 for seen in list(self.requests) if seen.path == path)

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Seen]:
        """The requests to `path`, once there are `count` of them (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = [s for s in list(self.requests) if s.path == path]
            if len(seen) >= count:
                return seen
            time.sleep(0.01)
        raise AssertionError(f"{path} was asked {self.count(path)} times, not {count}, within {timeout}s")

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and end every stream."""
        self.hanging.clear()
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._http.shutdown()
        self._http.server_close()

    def stream_lines(self, last_event_id: str | None, generation: int) -> Iterator[bytes]:
        """The stream's bytes: retry, prelude, the current version, changes, heartbeats; it ends
        when `drop_streams` moves past `generation` (the one current when the request came)."""
        yield b"retry: 1000\n\n"
        if self.stream_prelude:
            yield self.stream_prelude
        announced = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
        beat = time.monotonic()
        while True:
            with self._changed:
                if self._stopping or self._generation != generation:
                    return
                version = self.version
                if self.silent_streams or version == announced:
                    self._changed.wait(0.05)
                    message = None
                else:
                    announced = version
                    message = b'id: %d\nevent: snapshot\ndata: {"version":%d,"environment":"%s"}\n\n' % (
                        version,
                        version,
                        ENVIRONMENT.encode(),
                    )
            if message is not None:
                yield message
            elif (
                self.heartbeat is not None
                and not self.silent_streams
                and time.monotonic() - beat > self.heartbeat
            ):
                beat = time.monotonic()
                yield b": keep-alive\n\n"


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _record(self) -> str:
            path = urlsplit(self.path).path
            self.generation = server._generation  # before the request is seen: a drop after it counts
            server.requests.append(
                Seen(self.command, path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
            )
            while server.hanging.is_set() and not server._stopping:
                time.sleep(0.01)
            return path

        def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {KEY}":
                return True
            self._answer(401, b'{"title": "unauthorised"}')
            return False

        def do_GET(self) -> None:
            path = self._record()
            if not self._authorised():
                return
            if path == "/api/sdk/snapshot":
                self._snapshot()
            elif path == "/api/sdk/stream":
                self._stream()
            else:
                self._answer(404, b"{}")

        def do_POST(self) -> None:
            path = self._record()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if not self._authorised():
                return
            if path == "/api/events" and server.events_status == 202:
                server.batches.append(json.loads(body))
            self._answer(server.events_status, b'{"accepted": 0, "ignored": 0, "rejected": 0}')

        def _snapshot(self) -> None:
            if server.snapshot_delay:
                time.sleep(server.snapshot_delay)
            if server.snapshot_status is not None:
                self._answer(server.snapshot_status, b'{"title": "no"}')
                return
            etag = f'"{server.version}"'
            if self.headers.get("If-None-Match") == etag and server.snapshot_body is None:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = (
                server.snapshot_body
                if server.snapshot_body is not None
                else json.dumps(server.document()).encode()
            )
            self._answer(200, body, {"ETag": etag})

        def _stream(self) -> None:
            if server.stream_status is not None:
                self._answer(server.stream_status, b"{}")
                return
            self.send_response(200)
            self.send_header("Content-Type", server.stream_content_type)
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                for chunk in server.stream_lines(self.headers.get("Last-Event-ID"), self.generation):
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError:
                pass

    return Handler
