"""Every timestamp the API emits is UTC with an offset, the same on SQLite and PostgreSQL: flags,
rollouts (`tierStartedAt`), tokens, the audit trail and the export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio


def _stamps(document: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, value) of a date-like field whose name ends in `At`, anywhere in `document`."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key.endswith("At") and isinstance(value, str) and value[:4].isdigit():  # not "after …"
                yield f"{path}.{key}", value
            yield from _stamps(value, f"{path}.{key}")
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _stamps(value, f"{path}[{index}]")


async def test_every_emitted_timestamp__is_aware_utc(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    # Given: a flag, a started rollout and a token, written through the API
    created = await client.post("/api/admin/flags", json={"key": "utc_check", "reason": "t"}, headers=admin)
    assert created.status_code == 201, created.text
    rollout = await client.post("/api/admin/rollout", json={"featureName": "utc_check"}, headers=admin)
    assert rollout.status_code == 201, rollout.text
    started = await client.post("/api/admin/rollout/start", json={"featureName": "utc_check"}, headers=admin)
    assert started.status_code == 200, started.text
    token = await client.post(
        "/api/admin/tokens", json={"kind": "viewer", "name": "utc check"}, headers=admin
    )
    assert token.status_code == 201, token.text

    # When: everything that shows a time is read back
    documents = {
        "flag": created.json(),
        "rollout": (await client.get("/api/admin/rollout/utc_check", headers=admin)).json(),
        "rollouts": (await client.get("/api/admin/rollout", headers=admin)).json(),
        "token": token.json(),
        "tokens": (await client.get("/api/admin/tokens", headers=admin)).json(),
        "audit": (await client.get("/api/admin/audit", headers=admin)).json(),
        "export": (await client.get("/api/admin/export", headers=admin)).json(),
    }

    # Then
    stamps = [(name + path, value) for name, doc in documents.items() for path, value in _stamps(doc)]
    seen = {path.split(".")[-1] for path, _ in stamps}
    assert {"createdAt", "tierStartedAt", "changedAt"} <= seen, seen
    for path, value in stamps:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        assert moment.utcoffset() == timedelta(0), f"{path} = {value!r} is not UTC with an offset"
