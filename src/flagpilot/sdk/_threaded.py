"""The blocking driver: performs the protocol's operations with `httpx.Client` in a thread.

`close()` must return promptly even while a read blocks, so every open response's socket is
registered in `Sockets`, and `interrupt()` shuts them down: the blocked read returns at once.
Only a name lookup or a connect cannot be interrupted; the thread is a daemon, and `close()`
does not wait for it longer than its bound.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

from flagpilot.sdk._options import Options
from flagpilot.sdk._protocol import (
    EVENTS_PATH,
    SNAPSHOT_PATH,
    STREAM_PATH,
    CloseStream,
    Fetch,
    OpenStream,
    Operation,
    ReadChunk,
    Reply,
    Sleep,
    Unavailable,
)

if TYPE_CHECKING:
    import httpx

USER_AGENT = "flagpilot-python-sdk"


class Sockets:
    """The sockets of open responses, so another thread can cut them."""

    def __init__(self) -> None:
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def track(self, response: httpx.Response) -> socket.socket | None:
        """Register `response`'s socket; it is returned for `forget`."""
        stream = response.extensions.get("network_stream")
        sock = None if stream is None else stream.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with self._lock:
                self._open.add(sock)
            return sock
        return None

    def forget(self, sock: socket.socket | None) -> None:
        """The response is closed."""
        with self._lock:
            if sock is not None:
                self._open.discard(sock)

    def interrupt(self) -> None:
        """Shut every registered socket down: reads blocked on them return."""
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def after_fork(self) -> None:
        """In a forked child: forget the parent's sockets without touching them (shutting one
        down would cut the parent's connection too)."""
        self._lock = threading.Lock()
        self._open = set()


def client_arguments(httpx: Any, url: str, key: str, options: Options) -> dict[str, Any]:
    """The settings both drivers' HTTP clients share.

    For plain HTTP no TLS context is built: loading the CA bundle holds the interpreter's lock
    for milliseconds, which would stall the application's threads while the client starts.
    """
    return {
        "base_url": url,
        "headers": {"Authorization": f"Bearer {key}", "User-Agent": USER_AGENT},
        "timeout": httpx.Timeout(options.read_timeout, connect=options.connect_timeout),
        "trust_env": False,
        "verify": not url.startswith("http://"),
    }


@contextlib.contextmanager
def translated(httpx: Any) -> Iterator[None]:
    """Network failures as `Unavailable`, the one error the protocol knows."""
    try:
        yield
    except httpx.TimeoutException as error:
        raise Unavailable(f"the server did not answer in time ({type(error).__name__})") from error
    except (httpx.HTTPError, httpx.StreamError, OSError) as error:
        raise Unavailable(f"cannot reach the server: {error!r}") from error


def _headers(response: httpx.Response) -> dict[str, str]:
    return {key.lower(): value for key, value in response.headers.items()}


class HttpDriver:
    """Runs a `Synchroniser` (and posts outcome batches) over one `httpx.Client`.

    Args:
        url: the server's base URL.
        key: the server-SDK key.
        environment: the environment to ask for, or None for the key's or the server's.
        options: timings and limits.
        stop: set when the client closes.
        sockets: where open responses are registered.
    """

    def __init__(
        self,
        url: str,
        key: str,
        environment: str | None,
        options: Options,
        stop: threading.Event,
        sockets: Sockets,
    ) -> None:
        import httpx  # noqa: PLC0415 - here, in the background thread: the SDK imports fast

        self._httpx = httpx
        self.options, self.stop, self.sockets = options, stop, sockets
        self.params = {} if environment is None else {"environment": environment}
        self.client = httpx.Client(**client_arguments(httpx, url, key, options))
        self._stream: httpx.Response | None = None
        self._stream_socket: socket.socket | None = None
        self._chunks: Iterator[bytes] | None = None

    def run(self, steps: Generator[Operation, Any, None]) -> None:
        """Perform `steps`' operations until it ends or the client closes."""
        answer: Any = None
        error: Exception | None = None
        try:
            while not self.stop.is_set():
                try:
                    operation = steps.send(answer) if error is None else steps.throw(error)
                except StopIteration:
                    return
                answer, error = None, None
                try:
                    answer = self.perform(operation)
                except Unavailable as failure:
                    error = failure
        finally:
            steps.close()
            self.close()

    def perform(self, operation: Operation) -> Any:
        """One operation; a network failure becomes `Unavailable`."""
        with translated(self._httpx):
            if isinstance(operation, Fetch):
                return self.fetch(operation.etag)
            if isinstance(operation, OpenStream):
                return self.open_stream(operation.last_event_id)
            if isinstance(operation, ReadChunk):
                return self.read_chunk()
            if isinstance(operation, CloseStream):
                return self.close_stream()
            if isinstance(operation, Sleep):
                return self.stop.wait(operation.seconds)
        raise TypeError(f"unknown operation {operation!r}")

    def fetch(self, etag: str | None) -> Reply:
        """GET the snapshot, reading at most `max_snapshot_bytes` of it."""
        headers = {} if etag is None else {"If-None-Match": etag}
        with self.client.stream("GET", SNAPSHOT_PATH, params=self.params, headers=headers) as response:
            sock = self.sockets.track(response)
            try:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.options.max_snapshot_bytes:
                        raise Unavailable(f"the snapshot is over {self.options.max_snapshot_bytes} bytes")
                return Reply(response.status_code, _headers(response), bytes(body))
            finally:
                self.sockets.forget(sock)

    def open_stream(self, last_event_id: str | None) -> Reply:
        """GET the change stream and keep the response open for `read_chunk`."""
        self.close_stream()
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        timeout = self._httpx.Timeout(self.options.heartbeat_timeout, connect=self.options.connect_timeout)
        request = self.client.build_request(
            "GET", STREAM_PATH, params=self.params, headers=headers, timeout=timeout
        )
        response = self.client.send(request, stream=True)
        self._stream, self._stream_socket = response, self.sockets.track(response)
        self._chunks = response.iter_raw()
        return Reply(response.status_code, _headers(response))

    def read_chunk(self) -> bytes:
        """The stream's next bytes, b"" at its end."""
        if self._chunks is None:
            return b""
        try:
            return next(self._chunks, b"")
        except self._httpx.ReadTimeout as error:
            raise Unavailable(f"no heartbeat for {self.options.heartbeat_timeout:g}s") from error

    def close_stream(self) -> None:
        """Close the open stream, if any."""
        response, self._stream, self._chunks = self._stream, None, None
        if response is not None:
            self.sockets.forget(self._stream_socket)
            with contextlib.suppress(Exception):  # a cut connection may complain; it is closed all the same
                response.close()

    def post_events(self, events: list[dict[str, Any]], timeout: float) -> int | None:
        """POST one batch; the status, or None if the server could not be reached."""
        try:
            response = self.client.post(EVENTS_PATH, params=self.params, json=events, timeout=timeout)
        except (self._httpx.HTTPError, OSError):
            return None
        return response.status_code

    def close(self) -> None:
        """Close the stream and the connection pool."""
        self.close_stream()
        with contextlib.suppress(Exception):
            self.client.close()
