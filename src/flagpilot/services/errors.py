"""Errors the services raise; the API maps each class to one HTTP status in one table.

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

    title = "Service error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ServiceError):
    title = "Not found"


class FlagNotFound(NotFound):
    title = "Flag not found"


class RolloutNotFound(NotFound):
    title = "Rollout not found"


class EnvironmentNotFound(NotFound):
    title = "Environment not found"


class TokenNotFound(NotFound):
    title = "Token not found"


class InvalidInput(ServiceError):
    """Bad input; `problems` names each bad field."""

    title = "Invalid input"

    def __init__(self, detail: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(detail)
        self.problems = tuple(problems)


class Conflict(ServiceError):
    title = "Conflict"


class VersionConflict(Conflict):
    """A write based on a stale version: re-read and try again."""

    title = "Version conflict"

    def __init__(self, detail: str, current_version: int | None = None) -> None:
        super().__init__(detail)
        self.current_version = current_version


class AlreadyExists(Conflict):
    title = "Already exists"


class RolloutStateError(Conflict):
    """An illegal rollout transition, e.g. advancing a paused rollout."""

    title = "Illegal rollout transition"


class GateClosed(Conflict):
    """An advance refused by a gate; says which gate and when it opens."""

    title = "Rollout gate closed"

    def __init__(self, detail: str, gate: str, opens_at: str | None = None) -> None:
        super().__init__(detail)
        self.gate = gate
        self.opens_at = opens_at


class Unauthenticated(ServiceError):
    title = "Unauthenticated"


class PermissionDenied(ServiceError):
    title = "Permission denied"


class StorageUnavailable(ServiceError):
    title = "Storage unavailable"


class WriteContention(ServiceError):
    """The database aborted the write to resolve a deadlock or a serialization conflict (SQLSTATE
    40P01, 40001): nothing of it was written, and the same request can simply be sent again."""

    title = "Write contention"
