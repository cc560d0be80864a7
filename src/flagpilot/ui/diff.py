"""Before/after of an audit row, field by field, for the flag page and the audit log.

The audit trail stores each state as JSON text; a change of one field of a large definition
should read as that one field, so objects are compared key by key, and anything else as a
whole value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ABSENT = "—"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs: its name ("" for a whole value) and both sides as compact JSON."""

    field: str
    before: str
    after: str


def _parse(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _show(value: Any, present: bool = True) -> str:
    if not present:
        return ABSENT
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def field_changes(before_text: str | None, after_text: str | None) -> list[FieldChange]:
    """What changed between two stored states (creations and deletions show every field)."""
    before, after = _parse(before_text), _parse(after_text)
    if isinstance(before, dict | None) and isinstance(after, dict | None) and (before or after):
        old, new = before or {}, after or {}
        return [
            FieldChange(name, _show(old.get(name), name in old), _show(new.get(name), name in new))
            for name in sorted(old.keys() | new.keys())
            if old.get(name) != new.get(name) or (name in old) != (name in new)
        ]
    if before == after:
        return []
    return [FieldChange("", _show(before, before_text is not None), _show(after, after_text is not None))]
