"""OFREP answers assembled from per-result documents serialised once per snapshot.

A compiled snapshot builds every result its flags can give (`core.compiled`), so bulk
evaluations answer with the same few result objects again and again. Building a dictionary per
flag and serialising the whole answer cost three times as much as evaluating every flag; here
each result's document is serialised the first time it is served and its bytes are joined after
that. The documents are forgotten when the environment's snapshot is replaced, and a snapshot
whose results are not all prebuilt cannot grow the store past a bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flagpilot.api.jsonio import dumps
from flagpilot.api.ofrep_request import error_body
from flagpilot.core import EvaluationResult, Reason, Snapshot

_VARIANT_OF_REASON = {reason: reason.value.lower() for reason in Reason}

DOCUMENTS_PER_FLAG = 16
"""Documents kept per flag of a snapshot: far more than the outcomes a flag's rules can give."""


def success_body(result: EvaluationResult, environment: str, version: int) -> dict[str, Any]:
    """An OFREP `evaluationSuccess`; the version of the snapshot that answered (`version`) and
    the tier travel as metadata.

    Reason and tier are string enums, which orjson writes as their values.
    """
    metadata: dict[str, Any] = {"version": version, "environment": environment}
    if result.tier is not None:
        metadata["tier"] = result.tier
    return {
        "key": result.key,
        "value": result.value,
        "reason": result.reason,
        # OFREP providers expect a variant on every success; non-boolean values are named by reason.
        "variant": result.variant or _VARIANT_OF_REASON[result.reason],
        "metadata": metadata,
    }


def result_body(result: EvaluationResult, environment: str, version: int) -> dict[str, Any]:
    """A bulk answer's entry for one flag: its success document, or its failure."""
    if result.error_code is None:
        return success_body(result, environment, version)
    return error_body(result.error_code, result.error_message or "", result.key)


class _Documents:
    """One environment's serialised documents, valid for one snapshot."""

    __slots__ = ("by_result", "environment", "limit", "snapshot")

    def __init__(self, environment: str, snapshot: Snapshot) -> None:
        self.environment = environment
        self.snapshot = snapshot
        self.limit = DOCUMENTS_PER_FLAG * len(snapshot) + DOCUMENTS_PER_FLAG
        # By object identity: results are immutable and held here with their bytes, so an id
        # cannot be reused while its entry exists. Hashing a result would hash its value.
        self.by_result: dict[int, tuple[EvaluationResult, bytes]] = {}

    def document(self, result: EvaluationResult) -> bytes:
        """The bytes of `result`'s entry, serialised now if they were not before."""
        data = dumps(result_body(result, self.environment, self.snapshot.version))
        if len(self.by_result) < self.limit:
            self.by_result[id(result)] = (result, data)
        return data


class ResultBodies:
    """OFREP answers as bytes, from the documents of each environment's current snapshot."""

    def __init__(self) -> None:
        self._environments: dict[str, _Documents] = {}

    def _documents(self, environment: str, snapshot: Snapshot) -> _Documents:
        documents = self._environments.get(environment)
        if documents is None or documents.snapshot is not snapshot:
            documents = self._environments[environment] = _Documents(environment, snapshot)
        return documents

    def one(self, environment: str, snapshot: Snapshot, result: EvaluationResult) -> bytes:
        """A single evaluation's answer: `result`'s document, evaluated in `snapshot` of `environment`."""
        documents = self._documents(environment, snapshot)
        entry = documents.by_result.get(id(result))
        return documents.document(result) if entry is None else entry[1]

    def bulk(self, environment: str, snapshot: Snapshot, results: Iterable[EvaluationResult]) -> bytes:
        """`{"flags": [...]}` for `results`, evaluated in `snapshot` of `environment`."""
        documents = self._documents(environment, snapshot)
        known = documents.by_result.get
        make: Callable[[EvaluationResult], bytes] = documents.document
        parts = [entry[1] if (entry := known(id(result))) is not None else make(result) for result in results]
        return b'{"flags":[' + b",".join(parts) + b"]}"
