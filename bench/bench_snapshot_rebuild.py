"""How long a snapshot rebuild takes at scale, next to the bare queries it cannot be faster than.

Data: 1,000 flags (a fifth of them in a rollout with a 50-customer whitelist), 10,000
organizations each with one organization override, and 100,000 customer overrides spread over
100 flags, all in `production`.

Measured per backend, in interleaved rounds (median):

    reference  the six SELECTs a rebuild runs, rows fetched and discarded: the floor
    rebuild    `SqlSnapshotStore.load` + `Snapshot(...)`: rows → FlagStates → compiled flags

and once: the snapshot's memory (tracemalloc), its JSON wire size (`snapshot_to_dict`, plain and
gzip), and evaluation cost of a flag with 100,000 customer overrides against a flag with none
(the ratio shows evaluation stays O(1) per flag).

Target: rebuild under 1 s. Run by hand:

    .venv/bin/python bench/bench_snapshot_rebuild.py [--backend sqlite|postgresql|both] [--rounds N]

PostgreSQL uses the server of FLAGPILOT_TEST_DATABASE_URL (a scratch database is created and
dropped).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import tempfile
import time
import timeit
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.engine import make_url

from flagpilot.core import EvaluationContext, Snapshot, snapshot_to_dict
from flagpilot.storage import build_engine, libpq_url, migrate
from flagpilot.storage.models import (
    AppTransaction,
    CustomerFeatureFlag,
    Environment,
    FeatureRollout,
    Flag,
    FlagEnvironment,
    OrganizationFeatureFlag,
    StateVersion,
)
from flagpilot.storage.snapshot_store import SqlSnapshotStore

FLAGS = 1_000
ORGANIZATIONS = 10_000
CUSTOMER_OVERRIDES = 100_000
FLAGS_WITH_CUSTOMERS = 100
ENV = "production"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _fill(engine: Engine) -> None:
    """Insert the data set in one application transaction (so triggers audit nothing)."""
    keys = [f"flag_{i:04}" for i in range(FLAGS)]
    per_flag = CUSTOMER_OVERRIDES // FLAGS_WITH_CUSTOMERS
    with engine.begin() as c:
        c.execute(insert(AppTransaction).values(actor="bench"))
        c.execute(insert(Environment).values(name=ENV, description=""))
        c.execute(
            insert(Flag),
            [
                {"key": k, "type": "bool", "default_value": False, "description": "", "prerequisites": []}
                for k in keys
            ],
        )
        c.execute(
            insert(FlagEnvironment),
            [
                {"flag_key": k, "environment": ENV, "has_value": True, "value": i % 2 == 0}
                for i, k in enumerate(keys)
            ],
        )
        c.execute(
            insert(FeatureRollout),
            [
                {
                    "feature_name": k,
                    "environment": ENV,
                    "current_tier": "tier_2_early_adopters",
                    "percentage": 10.0,
                    "status": "active",
                    "whitelisted_customers": [f"internal-{j}" for j in range(50)],
                    "error_rate_threshold": 0.05,
                    "time_window_ms": 3_600_000,
                    "min_dwell_seconds": 172_800,
                    "min_events": 100,
                    "created_by": "bench",
                }
                for k in keys[::5]
            ],
        )
        c.execute(
            insert(OrganizationFeatureFlag),
            [
                {
                    "organization_id": f"org-{i:05}",
                    "feature_name": keys[i % FLAGS],
                    "environment": ENV,
                    "enabled": True,
                    "value": True,
                    "reason": "",
                    "created_by": "bench",
                }
                for i in range(ORGANIZATIONS)
            ],
        )
        rows = [
            {
                "customer_id": f"customer-{j:06}",
                "organization_id": f"org-{j % ORGANIZATIONS:05}",
                "feature_name": keys[f],
                "environment": ENV,
                "enabled": True,
                "value": True,
                "reason": "",
                "created_by": "bench",
            }
            for f in range(FLAGS_WITH_CUSTOMERS)
            for j in range(f * per_flag, (f + 1) * per_flag)
        ]
        for start in range(0, len(rows), 10_000):
            c.execute(insert(CustomerFeatureFlag), rows[start : start + 10_000])
        c.execute(text("DELETE FROM app_transactions"))


def _reference(engine: Engine) -> Callable[[], None]:
    """The bare queries of a rebuild: execute, fetch every row, build nothing."""
    queries = [
        select(StateVersion.version),
        select(Environment.name).where(Environment.name == ENV),
        select(Flag.__table__).where(Flag.archived.is_(False)),
        select(FlagEnvironment.__table__).where(FlagEnvironment.environment == ENV),
        select(FeatureRollout.__table__).where(FeatureRollout.environment == ENV),
        select(
            OrganizationFeatureFlag.feature_name,
            OrganizationFeatureFlag.organization_id,
            OrganizationFeatureFlag.value,
        ).where(OrganizationFeatureFlag.environment == ENV),
        select(
            CustomerFeatureFlag.feature_name, CustomerFeatureFlag.customer_id, CustomerFeatureFlag.value
        ).where(CustomerFeatureFlag.environment == ENV),
    ]

    def run() -> None:
        with engine.connect() as connection, connection.begin():
            for query in queries:
                connection.execute(query).all()

    return run


def _rebuild(engine: Engine) -> Callable[[], Snapshot]:
    store = SqlSnapshotStore(engine)

    def run() -> Snapshot:
        state = store.load(ENV)
        return Snapshot(state.states, environment=ENV, version=state.version)

    return run


def _median_seconds(func: Callable[[], object], rounds: int) -> float:
    return statistics.median(timeit.repeat(func, number=1, repeat=rounds))


def _evaluation_ratio(snapshot: Snapshot) -> tuple[float, float]:
    heavy = "flag_0000"  # a rollout, organization overrides and 1,000 customer overrides
    light = "flag_0995"  # the same shape (rollout, organization overrides) without customer overrides
    assert len(snapshot.states[heavy].config.customer_overrides) > 0
    contexts = [EvaluationContext(customer_id=f"visitor-{i}", organization_id=f"x-{i}") for i in range(1000)]

    def evaluate(key: str) -> Callable[[], None]:
        def run() -> None:
            for ctx in contexts:
                snapshot.evaluate(key, ctx)

        return run

    heavy_s = min(timeit.repeat(evaluate(heavy), number=5, repeat=5)) / 5000
    light_s = min(timeit.repeat(evaluate(light), number=5, repeat=5)) / 5000
    return heavy_s, light_s


def measure(name: str, url: str, rounds: int) -> dict[str, object]:
    """Fill the database at `url` and measure it."""
    engine = build_engine(url)
    try:
        migrate.upgrade(engine)
        started = time.perf_counter()
        _fill(engine)
        fill_s = time.perf_counter() - started
        reference, rebuild = _reference(engine), _rebuild(engine)
        reference(), rebuild()  # warm the pool and the caches
        ref_times, rebuild_times = [], []
        for _ in range(rounds):
            ref_times.append(_median_seconds(reference, 1))
            rebuild_times.append(_median_seconds(rebuild, 1))
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        snapshot = rebuild()
        after = tracemalloc.take_snapshot()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        held = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
        wire = json.dumps(snapshot_to_dict(snapshot), separators=(",", ":")).encode()
        heavy, light = _evaluation_ratio(snapshot)
        return {
            "backend": name,
            "fill_s": round(fill_s, 2),
            "reference_s": round(statistics.median(ref_times), 3),
            "rebuild_s": round(statistics.median(rebuild_times), 3),
            "rebuild_over_reference": round(
                statistics.median(rebuild_times) / statistics.median(ref_times), 2
            ),
            "snapshot_memory_mb": round(held / 1e6, 1),
            "rebuild_peak_mb": round(peak / 1e6, 1),
            "json_mb": round(len(wire) / 1e6, 2),
            "json_gzip_mb": round(len(gzip.compress(wire, 6)) / 1e6, 2),
            "eval_heavy_flag_us": round(heavy * 1e6, 2),
            "eval_light_flag_us": round(light * 1e6, 2),
            "target_rebuild_under_1s": statistics.median(rebuild_times) < 1.0,
        }
    finally:
        engine.dispose()


@contextmanager
def _sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def _postgresql() -> Iterator[str]:
    server = os.environ.get("FLAGPILOT_TEST_DATABASE_URL") or DEFAULT_PG
    name = f"flagpilot_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(server), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq_url(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    backends = {"sqlite": _sqlite, "postgresql": _postgresql}
    chosen = list(backends) if args.backend == "both" else [args.backend]
    for name in chosen:
        with backends[name]() as url:
            print(json.dumps(measure(name, url, args.rounds)))


if __name__ == "__main__":
    main()
