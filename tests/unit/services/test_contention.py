"""`retry_on_contention`: a write aborted by the database is run again, a bounded number of times,
and never once something of it has been committed."""

from __future__ import annotations

import pytest

from flagpilot.services import contention
from flagpilot.services.contention import ATTEMPTS, note_commit, retry_on_contention
from flagpilot.services.errors import StorageUnavailable, WriteContention


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contention, "PAUSE_SECONDS", 0.0)


def _aborted_then(succeeds_on: int) -> tuple[list[int], object]:
    calls: list[int] = []

    @retry_on_contention
    def work() -> str:
        calls.append(len(calls) + 1)
        if len(calls) < succeeds_on:
            raise WriteContention("deadlock detected")
        return "written"

    return calls, work


def test_retry__an_aborted_write_is_run_again_until_it_succeeds() -> None:
    calls, work = _aborted_then(succeeds_on=3)

    assert work() == "written"  # type: ignore[operator]
    assert calls == [1, 2, 3]


def test_retry__is_bounded_and_then_passes_the_contention_on() -> None:
    calls, work = _aborted_then(succeeds_on=ATTEMPTS + 1)

    with pytest.raises(WriteContention):
        work()  # type: ignore[operator]
    assert len(calls) == ATTEMPTS


def test_retry__never_runs_the_work_again_once_something_of_it_committed() -> None:
    calls: list[int] = []

    @retry_on_contention
    def commits_then_is_aborted() -> None:
        calls.append(1)
        note_commit()
        raise WriteContention("deadlock detected in the second transaction")

    with pytest.raises(WriteContention):
        commits_then_is_aborted()
    assert calls == [1]


def test_retry__other_errors_are_not_retried() -> None:
    calls: list[int] = []

    @retry_on_contention
    def unreachable() -> None:
        calls.append(1)
        raise StorageUnavailable("the database cannot be reached")

    with pytest.raises(StorageUnavailable):
        unreachable()
    assert calls == [1]


def test_retry__a_marked_method_inside_another_runs_within_the_outer_attempts() -> None:
    inner_calls: list[int] = []

    @retry_on_contention
    def inner() -> None:
        inner_calls.append(1)
        raise WriteContention("deadlock detected")

    @retry_on_contention
    def outer() -> None:
        inner()

    with pytest.raises(WriteContention):
        outer()
    assert len(inner_calls) == ATTEMPTS  # not ATTEMPTS squared


def test_retry__a_commit_in_an_earlier_call_does_not_stop_a_later_one_from_retrying() -> None:
    @retry_on_contention
    def commits() -> None:
        note_commit()

    commits()
    calls, work = _aborted_then(succeeds_on=2)

    assert work() == "written"  # type: ignore[operator]
    assert calls == [1, 2]
