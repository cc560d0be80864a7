"""The language-neutral vectors of tests/conformance/, through both SDK clients' public API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from flagpilot.core import NO_DEFAULT, FlagType
from flagpilot.sdk import AsyncClient, Client, State

FOLDER = Path(__file__).parents[2] / "conformance"


def cases() -> list[Any]:
    return [
        pytest.param(case, id=f"{path.stem}: {case['name']}")
        for path in sorted(FOLDER.glob("*.json"))
        for case in json.loads(path.read_text("utf-8"))["cases"]
    ]


def canonical(data: object) -> str:
    """JSON text that tells true from 1 and 3 from 3.0."""
    return json.dumps(data, sort_keys=True)


def evaluate(client: Client | AsyncClient, case: dict[str, Any]) -> dict[str, Any]:
    assert client.status.state is State.READY  # offline with a bootstrap: ready, from the bootstrap
    expected_type = FlagType(case["expectedType"]) if "expectedType" in case else None
    context = case["context"]  # the plain mapping, as an application passes it
    result = client.get_details(
        case["flag"], context, case.get("default", NO_DEFAULT), expected_type
    ).to_dict()
    del result["errorMessage"]
    return result


@pytest.mark.parametrize("case", cases())
def test_conformance_case__client(case: dict[str, Any]) -> None:
    client = Client(None, bootstrap=case["snapshot"], offline=True)

    assert canonical(evaluate(client, case)) == canonical(case["expected"])


@pytest.mark.parametrize("case", cases())
def test_conformance_case__async_client(case: dict[str, Any]) -> None:
    async def run() -> dict[str, Any]:
        async with AsyncClient(None, bootstrap=case["snapshot"], offline=True) as client:
            return evaluate(client, case)

    assert canonical(asyncio.run(run())) == canonical(case["expected"])


def test_conformance_files__are_all_run() -> None:
    assert len(cases()) >= 50
