"""Who may call which admin route: token kinds, organizations and environments.

| kinds | may |
|---|---|
| admin | everything, tokens included |
| editor | environment values, kill switch, overrides (and rollouts) |
| viewer | read |
| server-sdk, client-sdk | nothing here (403) |

A token confined to one organization may only read and change that organization's overrides
(the organization's own, and those of customers in it); its calls run under the organization's
row-level-security setting on PostgreSQL, so even a missed check here reaches no other tenant's
rows. Flag definitions, environment values, the audit trail and exports span tenants, so they
are refused to such a token. A token confined to one environment may not name another, and
may not call the routes that span environments (flag definitions, imports, exports, the audit
trail, tokens).
"""

from __future__ import annotations

from flagpilot.api.security import (
    require_all_organizations,
    require_unconfined,
    scoped_environment,
    scoped_organization,
)
from flagpilot.services.auth import ADMINS, EDITORS, READERS, Principal

__all__ = [
    "ADMINS",
    "EDITORS",
    "READERS",
    "actor_of",
    "environment_for",
    "organization_for",
    "require_all_organizations",
    "require_unconfined",
]


def actor_of(principal: Principal) -> str:
    """The actor recorded in the audit trail for a change made with this token."""
    return f"token:{principal.token_id}"


def environment_for(principal: Principal, requested: str | None, default: str) -> str:
    """The environment a call acts in: the token's, else the one asked for, else the default."""
    return scoped_environment(principal, requested, default)


def organization_for(principal: Principal, requested: str | None) -> str | None:
    """The organization a call is confined to: the token's, else the one asked for."""
    return scoped_organization(principal, requested)
