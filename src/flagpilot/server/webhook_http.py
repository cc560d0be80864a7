"""The webhook notifier's `HttpPoster` over httpx: one shared client, errors mapped once."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from flagpilot.services.rollouts import PostFailed


class HttpxPoster:
    """POSTs alert bodies with a shared `httpx.Client` (connection pooling, no redirects)."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(follow_redirects=False)

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        """POST `body`; the status code, or `PostFailed` when no response came back."""
        try:
            response = self._client.post(url, content=body, headers=dict(headers), timeout=timeout)
        except httpx.HTTPError as exc:
            raise PostFailed(f"{type(exc).__name__}: {exc}") from exc
        return response.status_code

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()
