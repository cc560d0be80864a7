"""A client's timings and limits; the defaults suit production, tests shorten them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Options:
    """How a client talks to the server.

    Attributes:
        connect_timeout: seconds to open a connection.
        read_timeout: seconds to wait for a snapshot or an events answer.
        heartbeat_timeout: seconds of silence after which the change stream is taken for dead
            (the server sends a comment every 15 s by default).
        grace: seconds a lost connection is reported `STALE` before `ERROR`.
        backoff_initial: the first reconnection delay; it doubles up to `backoff_max`.
        backoff_max: the largest reconnection delay.
        backoff_reset: seconds of healthy connection after which the delays start over.
        stream: follow the change stream; False polls instead.
        poll_interval: seconds between polls when there is no stream.
        stream_retry: seconds of polling before the stream is tried again.
        flush_interval: seconds between outcome batches.
        max_pending_outcomes: distinct outcome counters kept while the server is unreachable;
            beyond it the oldest are dropped (and counted in `OutcomeMetrics.dropped`).
        max_snapshot_bytes: a larger snapshot is refused (the last good one is kept).
        max_line: the longest change-stream line accepted, in bytes.
        close_timeout: the most `close()` waits, in seconds, whatever the server or DNS does.
    """

    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    heartbeat_timeout: float = 45.0
    grace: float = 5.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    backoff_reset: float = 60.0
    stream: bool = True
    poll_interval: float = 5.0
    stream_retry: float = 60.0
    flush_interval: float = 1.0
    max_pending_outcomes: int = 10_000
    max_snapshot_bytes: int = 32 * 1024 * 1024
    max_line: int = 65_536
    close_timeout: float = 2.0
