"""The asynchronous twin: the same protocol on the event loop, starting no threads."""

from __future__ import annotations

import asyncio
import threading
import time

from flagpilot.sdk import AsyncClient, Options, Source, State
from tests.integration.sdk.conftest import FAST
from tests.integration.sdk.fake_server import ENVIRONMENT, KEY, FakeServer, flag

CUSTOMER = {"customerId": "c-1"}


async def _until(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.01)


def test_async_client__follows_changes_without_a_thread_of_its_own(server: FakeServer) -> None:
    async def scenario() -> None:
        before = {t.name for t in threading.enumerate()}
        async with AsyncClient(server.url, KEY, ENVIRONMENT, options=FAST) as client:
            assert await client.wait_ready(10)
            assert (client.status.state, client.status.source) == (State.READY, Source.NETWORK)
            assert client.get_boolean("new_checkout", CUSTOMER) is True
            await _until(lambda: server.count("/api/sdk/stream") >= 1)

            server.publish({"new_checkout": flag(False)})

            await _until(lambda: client.get_boolean("new_checkout", CUSTOMER, True) is False)
            client.track_outcome("new_checkout", CUSTOMER, True)
            started = {t.name for t in threading.enumerate()} - before
            # the fake server's request threads and asyncio's resolver are not the client's
            assert not {n for n in started if "process_request" not in n and not n.startswith("asyncio_")}
        assert server.batches == [[{**server.batches[0][0], "count": 1}]]

    asyncio.run(scenario())


def test_async_client__constructor_needs_no_loop_and_close_is_bounded(server: FakeServer) -> None:
    server.hanging.set()
    client = AsyncClient(server.url, KEY, ENVIRONMENT, options=Options(read_timeout=60, connect_timeout=60))
    assert client.status.state is State.NOT_READY

    async def scenario() -> float:
        await client.start()
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await client.aclose()
        await client.aclose()
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 3.0
    server.hanging.clear()


def test_async_client__refused_key_is_fatal(server: FakeServer) -> None:
    async def scenario() -> State:
        async with AsyncClient(server.url, "fp_bad", ENVIRONMENT, options=FAST) as client:
            assert await client.wait_ready(10) is False
            return client.status.state

    assert asyncio.run(scenario()) is State.FATAL
