"""The demo's conversation service: conversations in memory, every message echoed back.

A stand-in for an operator's real chat backend, just enough for the widget to create, extend
and restore a conversation. Bounded, so a long-running demo cannot grow without limit.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

MAX_CONVERSATIONS = 10_000
MAX_MESSAGES = 500
MAX_TEXT = 2_000


@dataclass
class Conversation:
    """One visitor's conversation: who it belongs to and what was said."""

    id: str
    customer_id: str | None
    messages: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The wire shape the widget reads."""
        return {"id": self.id, "customerId": self.customer_id, "messages": self.messages}


class ConversationStore:
    """Conversations by id, oldest dropped first past `MAX_CONVERSATIONS`; analytics totals."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()
        self._analytics: dict[str, Counter[str]] = {}

    def create(self, customer_id: str | None) -> Conversation:
        """A new, empty conversation for `customer_id` (None: an anonymous visitor)."""
        conversation = Conversation(id="conv-" + secrets.token_hex(8), customer_id=customer_id)
        with self._lock:
            self._conversations[conversation.id] = conversation
            while len(self._conversations) > MAX_CONVERSATIONS:
                self._conversations.popitem(last=False)
        return conversation

    def get(self, conversation_id: str, customer_id: str | None) -> Conversation | None:
        """The conversation, if it exists and belongs to `customer_id`."""
        with self._lock:
            conversation = self._conversations.get(conversation_id)
        if conversation is None or conversation.customer_id != customer_id:
            return None
        return conversation

    def say(self, conversation: Conversation, text: str) -> list[dict[str, Any]]:
        """Add the visitor's message and the echoed answer; both, as the widget shows them."""
        with self._lock:
            start = len(conversation.messages)
            added = [
                {"id": f"{conversation.id}-{start + 1}", "author": "visitor", "text": text},
                {"id": f"{conversation.id}-{start + 2}", "author": "agent", "text": f"You said: {text}"},
            ]
            conversation.messages.extend(added)
            del conversation.messages[:-MAX_MESSAGES]
        return added

    def count(self, customer_id: str | None, counts: dict[str, int]) -> None:
        """Add a widget's analytics counts to its customer's totals."""
        with self._lock:
            totals = self._analytics.setdefault(customer_id or "", Counter())
            totals.update(counts)

    def analytics(self) -> dict[str, dict[str, int]]:
        """Analytics totals per customer ("" for anonymous visitors)."""
        with self._lock:
            return {customer: dict(totals) for customer, totals in self._analytics.items()}
