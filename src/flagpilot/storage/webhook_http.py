"""The webhook notifier's `HttpPoster`: httpcore with an address check at connect time.

An alert webhook is a request the server makes on an operator's behalf, so it must not become a
way into the network behind the server (SSRF): the cloud metadata service at 169.254.169.254,
a database on a private address, the server's own admin routes on loopback. Every address the
host name resolves to is checked *when the connection is made* — not only when the URL is
configured — so a name that resolves to a private address, a DNS answer that changes after
the check (rebinding), the IPv4-mapped, decimal or octal spelling of a private address, and a
redirect (never followed) all end at the same refusal. The connection then goes to the very
address that was checked.

`allowed` lists the hosts and networks an operator does want reached — an internal Slack relay,
a test receiver on loopback (`FLAGPILOT_ALERT_WEBHOOK_ALLOW=127.0.0.1,10.0.0.0/8,relay.local`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from typing import Any

import httpcore

from flagpilot.services.rollouts import PostFailed

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_public(address: Address) -> bool:
    """Whether `address` is on the public internet (not loopback, private, link-local, ...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class Allowance:
    """The hosts and networks a webhook may reach although they are not public."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.hosts: set[str] = set()
        self.networks: list[Network] = []
        for entry in (e.strip().lower() for e in entries):
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.rstrip("."))

    @classmethod
    def parse(cls, text: str | None) -> Allowance:
        """From a comma-separated setting."""
        return cls((text or "").split(","))

    def permits(self, host: str, address: Address) -> bool:
        """Whether a connection to `address` (resolved from `host`) may be made."""
        if is_public(address) or host.lower().rstrip(".") in self.hosts:
            return True
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        return any(
            address in network or (mapped is not None and mapped in network) for network in self.networks
        )


class GuardedBackend(httpcore.NetworkBackend):
    """A network backend that resolves, checks and then connects to the checked address."""

    def __init__(self, allowance: Allowance, inner: httpcore.NetworkBackend | None = None) -> None:
        self._allowance = allowance
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect to the first permitted address of `host`; refuse if any address is not."""
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
        refused = [a for a in addresses if not self._allowance.permits(host, a)]
        if refused or not addresses:
            raise httpcore.ConnectError(
                f"webhook host {host!r} resolves to {refused[0] if refused else 'nothing'}, which is not a "
                "public address; allow it with FLAGPILOT_ALERT_WEBHOOK_ALLOW"
            )
        return self._inner.connect_tcp(
            str(addresses[0]),
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        """Never: a webhook goes over TCP."""
        raise httpcore.ConnectError("webhooks do not use unix sockets")

    def sleep(self, seconds: float) -> None:
        """As the inner backend."""
        self._inner.sleep(seconds)


class HttpxPoster:
    """POSTs alert bodies over one pooled connection set; redirects are never followed."""

    def __init__(self, allowance: Allowance | None = None) -> None:
        self._pool = httpcore.ConnectionPool(network_backend=GuardedBackend(allowance or Allowance()))

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        """POST `body`; the status code, or `PostFailed` when no response came back."""
        extensions = {"timeout": dict.fromkeys(("connect", "read", "write", "pool"), timeout)}
        try:
            response = self._pool.request(
                "POST", url, headers=list(headers.items()), content=body, extensions=extensions
            )
        except (httpcore.ConnectError, httpcore.TimeoutException, httpcore.NetworkError) as exc:
            raise PostFailed(f"{type(exc).__name__}: {exc}") from exc
        except (httpcore.ProtocolError, httpcore.UnsupportedProtocol, ValueError) as exc:
            raise PostFailed(f"{type(exc).__name__}: {exc}") from exc
        return response.status

    def close(self) -> None:
        """Close the pooled connections."""
        self._pool.close()
