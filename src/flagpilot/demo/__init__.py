"""The chat-widget demo: a host site on one loopback origin, flagpilot on another.

`flagpilot demo` runs it. The site talks to flagpilot over HTTP only, like any operator's.
"""

from flagpilot.demo.launcher import VISITORS, WHITELISTS, DemoError, run_demo
from flagpilot.demo.site import SiteConfig, Visitor, create_site
from flagpilot.demo.store import ConversationStore

__all__ = [
    "VISITORS",
    "WHITELISTS",
    "ConversationStore",
    "DemoError",
    "SiteConfig",
    "Visitor",
    "create_site",
    "run_demo",
]
