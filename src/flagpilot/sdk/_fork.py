"""Fork safety with no user action: every live client restarts its threads in a forked child.

After `fork()` only the forking thread exists in the child: a client's stream, poller and
sender threads are gone, and locks they held stay held forever. `os.register_at_fork` runs
`after_fork_in_child` on each client still alive, so a `gunicorn --preload` worker or a
`multiprocessing` fork child keeps receiving changes without calling anything.
"""

from __future__ import annotations

import logging
import os
import weakref
from typing import Protocol


class Forkable(Protocol):
    """What the fork handler needs of a client."""

    def after_fork_in_child(self) -> None:
        """Replace locks, drop inherited sockets, restart threads."""


_clients: weakref.WeakSet[Forkable] = weakref.WeakSet()
logger = logging.getLogger("flagpilot.sdk")


def register(client: Forkable) -> None:
    """Restart `client` in every forked child while it is alive."""
    _clients.add(client)


def _restart_in_child() -> None:
    for client in list(_clients):
        try:
            client.after_fork_in_child()
        except Exception:  # one client's failure must not leave the others frozen
            logger.exception("flagpilot: a client could not restart after fork")


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_restart_in_child)
