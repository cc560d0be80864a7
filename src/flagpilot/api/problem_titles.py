"""The title of each service error's problem document: the API's words, not the services'.

A service says what went wrong in its error's `detail`; what the error is called is part of how
the API (and the CLI, which uses the same words) presents it. The most specific class in an
error's MRO that has a title names it. This module imports no web framework.
"""

from __future__ import annotations

from collections.abc import Mapping

from flagpilot.services.errors import (
    AlreadyExists,
    Conflict,
    EnvironmentNotFound,
    FlagNotFound,
    GateClosed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RolloutNotFound,
    RolloutStateError,
    ServiceError,
    StorageUnavailable,
    TokenNotFound,
    Unauthenticated,
    VersionConflict,
    WriteContention,
)
from flagpilot.services.users import TooManyAttempts, UserNotFound

TITLES: Mapping[type[ServiceError], str] = {
    FlagNotFound: "Flag not found",
    RolloutNotFound: "Rollout not found",
    EnvironmentNotFound: "Environment not found",
    TokenNotFound: "Token not found",
    UserNotFound: "User not found",
    NotFound: "Not found",
    InvalidInput: "Invalid input",
    VersionConflict: "Version conflict",
    AlreadyExists: "Already exists",
    RolloutStateError: "Illegal rollout transition",
    GateClosed: "Rollout gate closed",
    Conflict: "Conflict",
    Unauthenticated: "Unauthenticated",
    TooManyAttempts: "Too many login attempts",
    PermissionDenied: "Permission denied",
    StorageUnavailable: "Storage unavailable",
    WriteContention: "Write contention",
    ServiceError: "Service error",
}


def title_of(error: ServiceError) -> str:
    """The title of `error`'s problem document."""
    return next(TITLES[kind] for kind in type(error).__mro__ if kind in TITLES)
