"""Errors raised for bad flag *definitions* (at write time; bad contexts never raise).

CoreError
 └── InvalidConfiguration   one or more `Problem`s, each naming a flag and a field
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass


def shown(value: object, limit: int = 60) -> str:
    """`value` as a caller wrote it, in JSON (`true`, `null`, `"text"`), cut at `limit`
    characters: messages about values must read like the request, not like Python."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        # NaN and the infinities are not JSON; show them as JavaScript would.
        special = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
        text = special.get(repr(value), repr(value)) if isinstance(value, float) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a configuration: which flag, which field, and what."""

    flag: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.flag}.{self.field}: {self.message}"


class CoreError(Exception):
    """Base of the errors the core raises."""


class InvalidConfiguration(CoreError):
    """A configuration that must not be stored or served; `problems` says why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))
