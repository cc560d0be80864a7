"""`AsyncClient`: the same client for asyncio and ASGI applications, starting no threads.

    async with AsyncClient("https://flags.example.com", server_key, "production") as flags:
        flags.get_boolean("phase2_enhanced_storage", {"customerId": "c-1"})

Evaluation is the same local, synchronous call as `Client`'s (it does no I/O); following the
server and sending outcomes run as two tasks on the running loop, driving the very protocol the
threaded client drives. Name lookups go through the loop's resolver, as in any asyncio program.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from flagpilot.sdk._options import Options
from flagpilot.sdk._outcomes import MAX_BATCH, settle_reply
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
from flagpilot.sdk._status import Change, State
from flagpilot.sdk._threaded import client_arguments, translated
from flagpilot.sdk.client import TICK_SECONDS, Configured

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("flagpilot.sdk")


class AsyncHttpDriver:
    """Performs the protocol's operations with `httpx.AsyncClient` (see `HttpDriver`)."""

    def __init__(self, url: str, key: str, environment: str | None, options: Options) -> None:
        import httpx  # noqa: PLC0415 - imported when the client starts

        self._httpx, self.options = httpx, options
        self.params = {} if environment is None else {"environment": environment}
        self.client = httpx.AsyncClient(**client_arguments(httpx, url, key, options))
        self._stream: httpx.Response | None = None
        self._chunks: Any = None

    async def run(self, steps: Generator[Operation, Any, None]) -> None:
        """Perform `steps`' operations until it ends (or the task is cancelled)."""
        answer: Any = None
        error: Exception | None = None
        try:
            while True:
                try:
                    operation = steps.send(answer) if error is None else steps.throw(error)
                except StopIteration:
                    return
                answer, error = None, None
                try:
                    answer = await self.perform(operation)
                except Unavailable as failure:
                    error = failure
        finally:
            steps.close()
            await self.close()

    async def perform(self, operation: Operation) -> Any:
        """One operation; a network failure becomes `Unavailable`."""
        with translated(self._httpx):
            if isinstance(operation, Fetch):
                return await self.fetch(operation.etag)
            if isinstance(operation, OpenStream):
                return await self.open_stream(operation.last_event_id)
            if isinstance(operation, ReadChunk):
                return await anext(self._chunks, b"") if self._chunks is not None else b""
            if isinstance(operation, CloseStream):
                return await self.close_stream()
            if isinstance(operation, Sleep):
                return await asyncio.sleep(operation.seconds)
        raise TypeError(f"unknown operation {operation!r}")

    async def fetch(self, etag: str | None) -> Reply:
        """GET the snapshot, reading at most `max_snapshot_bytes` of it."""
        headers = {} if etag is None else {"If-None-Match": etag}
        async with self.client.stream("GET", SNAPSHOT_PATH, params=self.params, headers=headers) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.options.max_snapshot_bytes:
                    raise Unavailable(f"the snapshot is over {self.options.max_snapshot_bytes} bytes")
            return Reply(
                response.status_code, {k.lower(): v for k, v in response.headers.items()}, bytes(body)
            )

    async def open_stream(self, last_event_id: str | None) -> Reply:
        """GET the change stream and keep the response open."""
        await self.close_stream()
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        timeout = self._httpx.Timeout(self.options.heartbeat_timeout, connect=self.options.connect_timeout)
        request = self.client.build_request(
            "GET", STREAM_PATH, params=self.params, headers=headers, timeout=timeout
        )
        response = self._stream = await self.client.send(request, stream=True)
        self._chunks = response.aiter_raw()
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()})

    async def close_stream(self) -> None:
        """Close the open stream, if any."""
        response, self._stream, self._chunks = self._stream, None, None
        if response is not None:
            with contextlib.suppress(Exception):
                await response.aclose()

    async def post_events(self, events: list[dict[str, Any]], timeout: float) -> int | None:
        """POST one batch; the status, or None if the server could not be reached."""
        try:
            response = await self.client.post(EVENTS_PATH, params=self.params, json=events, timeout=timeout)
        except (self._httpx.HTTPError, OSError):
            return None
        return response.status_code

    async def close(self) -> None:
        """Close the stream and the connection pool."""
        await self.close_stream()
        with contextlib.suppress(Exception):
            await self.client.aclose()


class AsyncClient(Configured):
    """A flagpilot client for asyncio: `Client`'s arguments and evaluations, with awaitable
    `start`, `wait_ready` and `aclose` (or `async with`).

    The constructor needs no running loop and starts nothing; `start()` (or entering
    `async with`) starts following the server on the running loop.
    """

    _tasks: list[asyncio.Task[None]]

    def _begin(self) -> None:
        self._tasks = []
        self._closed = False
        self._ready: asyncio.Event | None = None

    async def start(self) -> None:
        """Start following the server on the running loop (again is a no-op)."""
        if self._tasks or self._closed:
            return
        self._ready = asyncio.Event()
        self._state.add_listener(self._on_change)
        self._on_change(Change(self._state.status))
        if self._offline:
            return
        self._tasks = [
            asyncio.create_task(self._follow(), name="flagpilot-sync"),
            asyncio.create_task(self._housekeep(), name="flagpilot-outcomes"),
        ]

    def _on_change(self, change: Change) -> None:
        if self._ready is not None and change.status.state in (State.READY, State.FATAL):
            self._ready.set()

    def _driver(self) -> AsyncHttpDriver:
        return AsyncHttpDriver(self._url, self._key, self._environment, self._options)

    async def _follow(self) -> None:
        await self._driver().run(self._synchroniser().run())

    async def _housekeep(self) -> None:
        driver = self._driver()
        try:
            loop = asyncio.get_running_loop()
            next_flush = loop.time() + self._options.flush_interval
            while True:
                await asyncio.sleep(TICK_SECONDS)
                self._state.refresh()
                if loop.time() >= next_flush:
                    await self._flush(driver, self._options.read_timeout)
                    next_flush = loop.time() + self._options.flush_interval
        finally:
            await driver.close()

    async def _flush(self, driver: AsyncHttpDriver, timeout: float) -> None:
        while not self._state.is_fatal:
            events = self._outcomes.take(MAX_BATCH)
            if not events or not settle_reply(
                self._outcomes, events, await driver.post_events(events, timeout)
            ):
                return

    async def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until data from the server is served; whether it is (False at once on `fatal`)."""
        await self.start()
        if self._ready is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), timeout)
        return self._state.status.state is State.READY

    async def aclose(self) -> None:
        """Stop, sending pending outcomes, within `Options.close_timeout`; idempotent."""
        if self._closed:
            return
        self._closed = True
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=self._options.close_timeout / 2)
            driver = self._driver()
            try:
                await asyncio.wait_for(
                    self._flush(driver, self._options.close_timeout / 2), self._options.close_timeout / 2
                )
            except TimeoutError:
                logger.warning("flagpilot: pending outcomes could not be sent before closing")
            finally:
                await driver.close()
        self._state.remove_listener(self._on_change)

    async def __aenter__(self) -> AsyncClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
