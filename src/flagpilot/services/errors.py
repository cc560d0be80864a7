"""Errors the services raise; the API maps each class to one HTTP status, problem type and
title (`flagpilot.api.problems`, `flagpilot.api.problem_titles`): what an error is called is
presentation, so the services only say what went wrong (`detail`).

ServiceError
 ├── NotFound                404  (FlagNotFound, RolloutNotFound, EnvironmentNotFound, TokenNotFound)
 ├── InvalidInput            422  carries `Problem`s naming each bad field
 ├── Conflict                409  (VersionConflict, AlreadyExists, RolloutStateError, GateClosed)
 ├── Unauthenticated         401
 ├── PermissionDenied        403
 ├── StorageUnavailable      503  the database cannot be reached
 └── WriteContention         503  the database aborted the write (deadlock, serialization) every attempt
"""

from __future__ import annotations

from collections.abc import Sequence

from flagpilot.core import Problem


class ServiceError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ServiceError):
    """What the call names does not exist."""


class FlagNotFound(NotFound):
    """No flag has this key (or it is archived where a served one is needed)."""


class RolloutNotFound(NotFound):
    """The flag has no rollout in this environment."""


class EnvironmentNotFound(NotFound):
    """No environment has this name."""


class TokenNotFound(NotFound):
    """No token has this id."""


class InvalidInput(ServiceError):
    """Bad input; `problems` names each bad field."""

    def __init__(self, detail: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(detail)
        self.problems = tuple(problems)


class Conflict(ServiceError):
    """The change conflicts with what is stored."""


class VersionConflict(Conflict):
    """A write based on a stale version: re-read and try again."""

    def __init__(self, detail: str, current_version: int | None = None) -> None:
        super().__init__(detail)
        self.current_version = current_version


class AlreadyExists(Conflict):
    """Something with this name or key is already stored."""


class RolloutStateError(Conflict):
    """An illegal rollout transition, e.g. advancing a paused rollout."""


class GateClosed(Conflict):
    """An advance refused by a gate; says which gate and when it opens."""

    def __init__(self, detail: str, gate: str, opens_at: str | None = None) -> None:
        super().__init__(detail)
        self.gate = gate
        self.opens_at = opens_at


class Unauthenticated(ServiceError):
    """The caller could not be identified."""


class PermissionDenied(ServiceError):
    """The caller may not do this."""


class StorageUnavailable(ServiceError):
    """The database cannot be reached."""


class WriteContention(ServiceError):
    """The database aborted the write to resolve a deadlock or a serialization conflict (SQLSTATE
    40P01, 40001): nothing of it was written, and the same request can simply be sent again."""
