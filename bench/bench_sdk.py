"""What the SDK and the OpenFeature provider add to an evaluation, in the same run as the core.

The core benchmark's four cases (bench_evaluation.py) are timed five ways, each over the same
10,000 varying customers, each building its context from the request's two ids on every call,
as a web handler does:

    core       Snapshot.evaluate(key, EvaluationContext(customer_id=…, organization_id=…))
    core, pre  the same with contexts built beforehand (bench_evaluation's own figure)
    sdk        Client.get_details(key, {"customerId": …, "organizationId": …})
    sdk bool   Client.get_boolean(key, {...})
    provider   FlagpilotProvider.resolve_boolean_details(key, False, OpenFeature context)
    openfeat.  an OpenFeature client's get_boolean_details (the SDK's hooks and checks included)

(case d evaluates 100 flags per call: `all_flags` against `evaluate_all`, 200 customers.)
Target: the SDK within 1.5x the core with its context; the provider's overhead is reported.

It also measures, in fresh interpreters, the time `import flagpilot.sdk` adds to an empty one
(target < 150 ms) and how long the constructor takes with the server unreachable (target < 5 ms).

    .venv/bin/python bench/bench_sdk.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import timeit
from collections.abc import Callable

from openfeature import api
from openfeature.evaluation_context import EvaluationContext as OpenFeatureContext

from bench_evaluation import ALL_FLAGS, CUSTOMERS, KEY, rollout_state, snapshot_of
from flagpilot.core import (
    EnvironmentConfig,
    EvaluationContext,
    FlagDefinition,
    FlagState,
    Snapshot,
    snapshot_to_dict,
)
from flagpilot.sdk import Client, FlagpilotProvider

TARGET_RATIO = 1.5
TARGET_IMPORT_MS = 150.0
TARGET_CONSTRUCTOR_MS = 5.0
ORGANIZATION = "org-other"


def snapshots() -> dict[str, Snapshot]:
    """The four cases' snapshots, as bench_evaluation builds them."""
    return {
        "a  flag simply on": snapshot_of(FlagState(FlagDefinition(KEY), EnvironmentConfig(value=True))),
        "b  10% rollout": snapshot_of(rollout_state(KEY, whitelist=False)),
        "c  b + whitelist + org override": snapshot_of(rollout_state(KEY, whitelist=True)),
        f"d  all flags, {ALL_FLAGS} like c": snapshot_of(
            *(rollout_state(f"flag_{i:03d}", whitelist=True) for i in range(ALL_FLAGS))
        ),
    }


def ways(snapshot: Snapshot, many: bool) -> dict[str, tuple[Callable[[], None], int]]:
    """The measured loops for one snapshot: name → (loop, evaluations per loop)."""
    customers = [f"customer-{i}" for i in range(CUSTOMERS if not many else 200)]
    prebuilt = [EvaluationContext(customer_id=c, organization_id=ORGANIZATION) for c in customers]
    client = Client(None, bootstrap=snapshot_to_dict(snapshot), offline=True)
    provider = FlagpilotProvider(client)
    name = f"bench-{id(snapshot)}"
    api.set_provider_and_wait(provider, domain=name)
    of_client = api.get_client(domain=name)
    evaluate, get_details, get_boolean = snapshot.evaluate, client.get_details, client.get_boolean
    resolve = provider.resolve_boolean_details
    per_loop = len(customers)
    if many:
        evaluate_all, all_flags = snapshot.evaluate_all, client.all_flags

        def core_all() -> None:
            for c in customers:
                evaluate_all(EvaluationContext(customer_id=c, organization_id=ORGANIZATION))

        def core_all_pre() -> None:
            for ctx in prebuilt:
                evaluate_all(ctx)

        def sdk_all() -> None:
            for c in customers:
                all_flags({"customerId": c, "organizationId": ORGANIZATION})

        return {
            "core": (core_all, per_loop),
            "core, pre": (core_all_pre, per_loop),
            "sdk": (sdk_all, per_loop),
        }

    def core() -> None:
        for c in customers:
            evaluate(KEY, EvaluationContext(customer_id=c, organization_id=ORGANIZATION))

    def core_pre() -> None:
        for ctx in prebuilt:
            evaluate(KEY, ctx)

    def sdk() -> None:
        for c in customers:
            get_details(KEY, {"customerId": c, "organizationId": ORGANIZATION})

    def sdk_bool() -> None:
        for c in customers:
            get_boolean(KEY, {"customerId": c, "organizationId": ORGANIZATION})

    def via_provider() -> None:
        for c in customers:
            resolve(
                KEY, False, OpenFeatureContext(targeting_key=c, attributes={"organizationId": ORGANIZATION})
            )

    some = customers[:1000]

    def via_openfeature() -> None:
        for c in some:
            of_client.get_boolean_details(
                KEY, False, OpenFeatureContext(targeting_key=c, attributes={"organizationId": ORGANIZATION})
            )

    check(snapshot, client)
    return {
        "core": (core, per_loop),
        "core, pre": (core_pre, per_loop),
        "sdk": (sdk, per_loop),
        "sdk bool": (sdk_bool, per_loop),
        "provider": (via_provider, per_loop),
        "openfeat.": (via_openfeature, len(some)),
    }


def check(snapshot: Snapshot, client: Client) -> None:
    """Refuse to time anything that does not answer what the core answers."""
    for i in range(0, CUSTOMERS, 97):
        ids = {"customerId": f"customer-{i}", "organizationId": ORGANIZATION}
        expected = snapshot.evaluate(KEY, EvaluationContext(ids["customerId"], ORGANIZATION))
        assert client.get_details(KEY, ids) == expected, ids


def measure(rounds: int) -> dict[str, dict[str, list[float]]]:
    """µs per evaluation (per all-flags call for d), by case and way, rounds interleaved."""
    cases = {label: ways(snapshot, label.startswith("d")) for label, snapshot in snapshots().items()}
    timings: dict[str, dict[str, list[float]]] = {label: {way: [] for way in w} for label, w in cases.items()}
    for _ in range(rounds):
        for label, loops in cases.items():
            for way, (loop, count) in loops.items():
                number = 1 if way == "openfeat." else 3
                seconds = timeit.Timer(loop).timeit(number)
                timings[label][way].append(seconds / number / count * 1e6)
    return timings


def fresh_interpreter_ms(timed: str, setup: str = "pass", repeat: int = 15) -> list[float]:
    """Wall milliseconds of `timed`, after `setup`, in a fresh interpreter; `repeat` runs."""
    script = (
        f"import time\n{setup}\nt = time.perf_counter()\n{timed}\nprint((time.perf_counter() - t) * 1000)"
    )
    command = [sys.executable, "-c", script]
    runs = [subprocess.run(command, check=True, capture_output=True, text=True) for _ in range(repeat)]
    return [float(run.stdout.splitlines()[-1]) for run in runs]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = parser.parse_args()
    timings = measure(args.rounds)
    ok = True
    print(f"{args.rounds} interleaved rounds; µs per evaluation (d: per 100-flag call), best round (median)")
    header = ["core", "core, pre", "sdk", "sdk bool", "provider", "openfeat."]
    print(f"{'case':<34}" + "".join(f"{way:>17}" for way in header) + f"{'sdk/core':>10}")
    for label, by_way in timings.items():
        best = {way: min(values) for way, values in by_way.items()}
        cells = "".join(
            f"{best[w]:>8.3f} ({statistics.median(by_way[w]):>6.3f})" if w in best else f"{'':>17}"
            for w in header
        )
        ratio = best["sdk"] / best["core"]
        ok &= ratio <= TARGET_RATIO
        print(f"{label:<34}{cells}{ratio:>9.2f}x")
    imports = fresh_interpreter_ms("import flagpilot.sdk")
    reference = fresh_interpreter_ms("import httpx")
    constructor = fresh_interpreter_ms(
        "Client('http://127.0.0.1:9', 'key')", "from flagpilot.sdk import Client"
    )
    import_ms, constructor_ms = min(imports), min(constructor)
    print(f"\nimport flagpilot.sdk: {import_ms:.1f} ms best, {statistics.median(imports):.1f} ms median")
    print(
        f"  (target < {TARGET_IMPORT_MS:g} ms; for scale, import httpx alone: {min(reference):.1f} ms best)"
    )
    middle = statistics.median(constructor)
    print(f"Client() with the server unreachable: {constructor_ms:.2f} ms best, {middle:.2f} ms median")
    print(f"  (target < {TARGET_CONSTRUCTOR_MS:g} ms)")
    ok &= import_ms < TARGET_IMPORT_MS and constructor_ms < TARGET_CONSTRUCTOR_MS
    print("\ntargets:", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
