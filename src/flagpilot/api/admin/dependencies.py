"""What the admin API is built from: the services, handed over by the composition root."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flagpilot.services.audit import AuditLog
from flagpilot.services.auth import Authenticator
from flagpilot.services.flags import FlagManager
from flagpilot.services.transfer import ImportReport

Exporter = Callable[[], dict[str, Any]]
"""Every flag, setting, override and rollout as one export document."""


@dataclass(frozen=True, slots=True)
class AdminServices:
    """Everything the admin routers call.

    Attributes:
        flags: flags, environment values, kill switch, overrides.
        audit: the audit trail's queries and verification.
        authenticator: turns bearer secrets into principals.
        export: builds the export document.
        import_document: checks and writes an export document (`actor`, `dry_run` keywords).
        default_environment: the environment a request means when it names none.
        token_names: token id → name, so audit rows show who a token is beside its id.
    """

    flags: FlagManager
    audit: AuditLog
    authenticator: Authenticator
    export: Exporter
    import_document: Callable[..., ImportReport]
    default_environment: str = "production"
    token_names: Callable[[], Mapping[str, str]] = dict
