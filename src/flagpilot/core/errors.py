"""Errors raised for bad flag *definitions* (at write time; bad contexts never raise).

CoreError
 └── InvalidConfiguration   one or more `Problem`s, each naming a flag and a field
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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
