"""Two writers on the same flag at the same time: one wins, the other gets VersionConflict."""

from __future__ import annotations

import threading

from flagpilot.services.errors import VersionConflict
from flagpilot.services.flags import FlagManager


def test_two_concurrent_writers__same_base_version__one_wins_one_conflicts(manager: FlagManager) -> None:
    # Given
    base = manager.get_flag("checkout").version
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def write(actor: str) -> None:
        barrier.wait()
        try:
            manager.update_flag("checkout", {"description": actor}, actor=actor, expected_version=base)
            outcomes[actor] = "won"
        except VersionConflict:
            outcomes[actor] = "conflict"

    # When
    threads = [threading.Thread(target=write, args=(actor,)) for actor in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Then
    assert sorted(outcomes.values()) == ["conflict", "won"]
    winner = next(actor for actor, outcome in outcomes.items() if outcome == "won")
    view = manager.get_flag("checkout")
    assert view.record.definition.description == winner
    assert view.version == base + 1
