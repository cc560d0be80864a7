"""How long `flagpilot --help` and `flagpilot --version` take, against a bare Python start.

Target: `--help` answers in under 300 ms. The sub-commands are imported only when one runs, so
help costs Python's start plus Typer. A bare `python -c pass` is measured in the same
interleaved rounds as the floor; the best round of each is reported (noise only adds time).

    .venv/bin/python bench/bench_cli_startup.py [--rounds N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

FLAGPILOT = str(Path(sys.executable).with_name("flagpilot"))
TARGET_MS = 300.0
CASES = {
    "floor: python -c pass": [sys.executable, "-c", "pass"],
    "flagpilot --version": [FLAGPILOT, "--version"],
    "flagpilot --help": [FLAGPILOT, "--help"],
    "flagpilot flags --help": [FLAGPILOT, "flags", "--help"],
}


def once(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    timings: dict[str, list[float]] = {label: [] for label in CASES}
    for _ in range(rounds):
        for label, command in CASES.items():
            timings[label].append(once(command))
    floor = min(timings["floor: python -c pass"])
    print(f"{'case':<28} {'best ms':>9} {'median ms':>10} {'× floor':>8}")
    for label, values in timings.items():
        values.sort()
        print(f"{label:<28} {values[0]:>9.1f} {values[len(values) // 2]:>10.1f} {values[0] / floor:>8.2f}")
    best_help = min(timings["flagpilot --help"])
    verdict = "met" if best_help < TARGET_MS else "MISSED"
    print(f"\nflagpilot --help: {best_help:.0f} ms (target < {TARGET_MS:g} ms): {verdict}")
    return 0 if best_help < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
