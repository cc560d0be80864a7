"""Hostile targeting keys cannot crash the process: mmh3 alone segfaults on a lone surrogate."""

import subprocess
import sys

CODE = """
from flagpilot.core import EvaluationContext, FlagDefinition, FlagState, EnvironmentConfig, Rollout
from flagpilot.core import RolloutStatus, Tier, Snapshot, bucket
state = FlagState(FlagDefinition("f"), EnvironmentConfig(rollout=Rollout(
    tier=Tier.TIER_2_EARLY_ADOPTERS, percentage=10, status=RolloutStatus.ACTIVE)))
snapshot = Snapshot([state], environment="e", version=1)
print(snapshot.evaluate("f", EvaluationContext(customer_id="a\\ud800")).reason.value)
print(bucket("f", "\\udfff"))
"""


def test_lone_surrogate_customer_id__is_bucketed_without_crashing() -> None:
    # Given a partial rollout, When a customer id holding a lone surrogate is evaluated
    # (in a child process, since the failure mode is a segfault)
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=False)

    # Then the process survives and answers with a split
    assert done.returncode == 0, done.stderr
    reason, position = done.stdout.split()
    assert reason == "SPLIT"
    assert 0 <= int(position) < 10_000


def test_non_ascii_customer_id__hashes_like_its_utf8_bytes() -> None:
    import mmh3

    from flagpilot.core import hash_key

    assert hash_key("flag", "café") == mmh3.hash("flag:café".encode(), 0, signed=False)
