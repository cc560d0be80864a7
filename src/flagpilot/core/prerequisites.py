"""The prerequisite graph of one environment: evaluation order, cycles and chain depth.

A flag with prerequisites is on only if each prerequisite evaluates to on for the same context
(LaunchDarkly's model), so a snapshot compiles parents before their children and each child's
closure calls its parents' closures. Writers refuse cycles and chains deeper than `MAX_DEPTH`;
a snapshot read from elsewhere may still hold one, so compilation never recurses and turns any
flag it cannot order into a flag that is off, with the reason named.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from flagpilot.core.enums import FlagType
from flagpilot.core.errors import Problem
from flagpilot.core.model import FlagState

MAX_DEPTH = 5
"""The longest chain of prerequisites above a flag (a flag needing a flag needing …)."""


@dataclass(frozen=True, slots=True)
class PrerequisiteOrder:
    """How the flags of one environment are compiled.

    Attributes:
        order: flag keys, every flag after all of its prerequisites (the flags of a cycle, and
            those below one, last).
        blocked: flag key → why it can never be on (a missing prerequisite, a cycle, a chain
            deeper than `MAX_DEPTH`).
    """

    order: tuple[str, ...]
    blocked: Mapping[str, str]


def prerequisite_order(states: Mapping[str, FlagState]) -> PrerequisiteOrder:
    """Order `states` parents first (Kahn's algorithm: no recursion, whatever the input)."""
    # Only flags with prerequisites get entries: a rebuild of 1,000 flags of which a few have
    # prerequisites walks the few, not the 1,000.
    waiting: dict[str, int] = {}
    children: dict[str, list[str]] = {}
    blocked: dict[str, str] = {}
    for key, state in states.items():
        prerequisites = state.definition.prerequisites
        if not prerequisites:
            continue
        for required in dict.fromkeys(prerequisites):
            if required in states:
                waiting[key] = waiting.get(key, 0) + 1
                children.setdefault(required, []).append(key)
            elif key not in blocked:
                blocked[key] = f"prerequisite {required!r} does not exist"
    depth: dict[str, int] = {}
    ready = deque(key for key in states if key not in waiting)
    order: list[str] = []
    while ready:
        key = ready.popleft()
        order.append(key)
        for child in children.get(key, ()):
            depth[child] = max(depth.get(child, 0), depth.get(key, 0) + 1)
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    for key, count in waiting.items():
        if count:
            order.append(key)
            blocked.setdefault(key, "its prerequisites form a cycle")
    for key, chain in depth.items():
        if chain > MAX_DEPTH:
            blocked.setdefault(key, f"its chain of prerequisites is deeper than {MAX_DEPTH}")
    return PrerequisiteOrder(order=tuple(order), blocked=blocked)


def prerequisite_problems(states: Mapping[str, FlagState]) -> list[Problem]:
    """Write-time problems: unknown or non-boolean prerequisites, cycles (with their path), and
    chains deeper than `MAX_DEPTH` (with the chain)."""
    problems: list[Problem] = []
    for key, state in states.items():
        for required in state.definition.prerequisites:
            other = states.get(required)
            if other is None:
                problems.append(Problem(key, "prerequisites", f"unknown flag {required!r}"))
            elif other.definition.type is not FlagType.BOOL:
                problems.append(
                    Problem(
                        key,
                        "prerequisites",
                        f"{required!r} is a {other.definition.type.value} flag; prerequisites must be bool",
                    )
                )
    cycle = find_cycle(states)
    if cycle:  # (a flag requiring itself is check_definition's)
        problems.append(Problem(cycle[0], "prerequisites", "form a cycle: " + " → ".join(cycle)))
        return problems
    for key, chain in longest_chains(states).items():
        if len(chain) - 1 > MAX_DEPTH:
            problems.append(
                Problem(
                    key,
                    "prerequisites",
                    f"the chain {' → '.join(chain)} is {len(chain) - 1} deep; at most {MAX_DEPTH} is allowed",
                )
            )
    return problems


def find_cycle(states: Mapping[str, FlagState]) -> list[str]:
    """A cycle of two or more prerequisites as a path that starts and ends at its smallest key,
    or []; a depth-first walk with an explicit stack, so no input can exhaust the recursion limit."""
    done: set[str] = set()
    for start in sorted(states):
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        pending = [iter(_parents(states, start))]
        while pending:
            parent = next(pending[-1], None)
            if parent is None:
                finished = path.pop()
                done.add(finished)
                on_path.discard(finished)
                pending.pop()
                continue
            if parent == path[-1]:
                continue
            if parent in on_path:
                loop = path[path.index(parent) :]
                first = loop.index(min(loop))
                loop = loop[first:] + loop[:first]
                return [*loop, loop[0]]
            if parent not in done:
                path.append(parent)
                on_path.add(parent)
                pending.append(iter(_parents(states, parent)))
    return []


def longest_chains(states: Mapping[str, FlagState]) -> dict[str, list[str]]:
    """For each flag, the longest chain of prerequisites from the top down to it (no cycles)."""
    best: dict[str, list[str]] = {}
    for node in prerequisite_order(states).order:
        parents = [best[p] for p in _parents(states, node) if p in best]
        best[node] = [*max(parents, key=len, default=[]), node]
    return best


def _parents(states: Mapping[str, FlagState], key: str) -> list[str]:
    return [p for p in states[key].definition.prerequisites if p in states]
