"""Where a client stands: whether its answers come from the server, from a copy, or from nowhere."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    """The client's state, in OpenFeature's terms (provider status).

    `READY` means the data came from the server and the connection to it is healthy; data from a
    bootstrap document or the disk cache, while the server has not been reached, is `STALE`.
    """

    NOT_READY = "not_ready"
    READY = "ready"
    STALE = "stale"
    ERROR = "error"
    FATAL = "fatal"


class Source(StrEnum):
    """Where the snapshot being served came from."""

    BOOTSTRAP = "bootstrap"
    DISK = "disk"
    NETWORK = "network"


@dataclass(frozen=True, slots=True)
class Status:
    """A client's state, the origin and version of the data it serves, and its last problem.

    Attributes:
        state: see `State`.
        source: where the served snapshot came from; None before any data was loaded.
        version: the served snapshot's version, or None.
        message: the last problem met (a connection error, a refused key), for logs.
    """

    state: State
    source: Source | None = None
    version: int | None = None
    message: str | None = None

    @property
    def has_data(self) -> bool:
        """Whether evaluations are answered from a snapshot (rather than with the caller's default)."""
        return self.source is not None


@dataclass(frozen=True, slots=True)
class Change:
    """What listeners hear: the new status, and the flags a new snapshot changed (if one came)."""

    status: Status
    changed_flags: tuple[str, ...] | None = None
