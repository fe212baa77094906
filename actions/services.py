"""Process-wide clients the actions share: the knowledge base, the conversation store and the ward's clock."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from handoff.store import ConversationStore
from base.settings import get_settings
from knowledge.api import KnowledgeBase


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return KnowledgeBase.from_settings()


@lru_cache(maxsize=1)
def conversation_store() -> ConversationStore:
    return ConversationStore.from_settings()


def local_now() -> datetime:
    """The ward's wall-clock time (naive), which hours, holidays and closures are written in."""
    return datetime.now(ZoneInfo(get_settings().timezone)).replace(tzinfo=None)


def reset_clients() -> None:
    """Tests that point DATABASE_URL elsewhere call this."""
    knowledge_base.cache_clear()
    conversation_store.cache_clear()
