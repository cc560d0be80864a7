"""docs/api.md's table of body limits is the one the server applies."""

from __future__ import annotations

import re
from pathlib import Path

from flagpilot.api.limits import BULK_LIMITS, MIB

DOC = Path(__file__).parents[3] / "docs" / "api.md"
ROW = re.compile(r"^\| `(?P<method>[A-Z]+) (?P<path>[^`]+)` \| (?P<mib>\d+) MiB \| (?P<holds>[^|]+) \|$")


def test_documented_body_limits__are_the_applied_ones() -> None:
    documented = {
        (m["method"], m["path"], int(m["mib"]) * MIB, m["holds"].strip())
        for line in DOC.read_text("utf-8").splitlines()
        if (m := ROW.match(line))
    }

    assert documented == {(r.method, r.template, r.max_bytes, r.holds) for r in BULK_LIMITS}
