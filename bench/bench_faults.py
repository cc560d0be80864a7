"""The long fault runs: 50 kill -9 cycles per database and a longer database outage.

CI runs 4 kill -9 cycles per database (tests/e2e/test_kill_nine.py) and a 30-second outage of
each form (tests/e2e/test_database_outage.py). This runs the same tests with more: `--cycles`
kill -9 cycles on SQLite and PostgreSQL, and `--outage` seconds of each outage form, printing the
tests' own figures (run it under `flock /tmp/flagpilot-bench.lock`, and note `uptime`).

    .venv/bin/python bench/bench_faults.py
    .venv/bin/python bench/bench_faults.py --cycles 100 --outage 120
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=50, help="kill -9 cycles per database")
    parser.add_argument("--outage", type=float, default=60.0, help="seconds of each outage form")
    arguments = parser.parse_args()
    env = {
        **os.environ,
        "FLAGPILOT_TEST_KILL_CYCLES": str(arguments.cycles),
        "FLAGPILOT_TEST_OUTAGE_SECONDS": str(arguments.outage),
    }
    tests = ["tests/e2e/test_kill_nine.py", "tests/e2e/test_database_outage.py"]
    command = [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", *tests]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
