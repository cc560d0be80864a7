"""Name a service's problems after the fields the caller sent.

Services name a problem after their own model (`phase2_retry_logic.value`); a caller who sent
`{"enabled": true}` or `{"key": "My Flag!"}` should read `body.enabled` and `body.key`, as in
the request validation errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from flagpilot.core import Problem
from flagpilot.services.errors import InvalidInput


@contextmanager
def named_as_sent(fields: Mapping[str, str]) -> Iterator[None]:
    """Re-raise `InvalidInput` with each problem's field in `fields` renamed to `body.<name>`."""
    try:
        yield
    except InvalidInput as exc:
        problems = [
            Problem("body", fields[p.field], p.message) if p.field in fields else p for p in exc.problems
        ]
        if problems == list(exc.problems):
            raise
        raise InvalidInput("; ".join(str(p) for p in problems), problems) from exc
