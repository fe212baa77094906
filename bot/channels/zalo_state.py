"""Per-user memory the Zalo channel needs between webhook calls, kept in the shared key store.

- Which messages the bot itself sent: Zalo echoes every OA message back as an `oa_send_*` event, and only echoes of
  messages a person typed in the OA inbox mean "a human took over". A text fingerprint is recorded before sending
  (the echo can arrive before the send call returns) and the returned message id after.
- Which numbered options were last offered, so a reply "6" means option 6.

When the shared store cannot be trusted to know every mark (Redis down, or back for less than a minute, so a mark
another replica wrote may be missing), an unknown echo is taken for the bot's own: pausing the conversation with no
ticket on a false alarm is worse than a clerk's inbox reply not pausing the bot during an outage
(docs/operations.md, "When a dependency fails").
"""
from __future__ import annotations

import json
import logging
from typing import List, Optional

from base.crypto import keyed_hash
from base.keystore import KeyStore

logger = logging.getLogger(__name__)

SENT_TTL_S = 15 * 60
OPTIONS_TTL_S = 60 * 60


def _fingerprint(user_id: str, text: str) -> str:
    return keyed_hash(f"{user_id}\x00{' '.join(text.split())}", "zalo-sent-text")


def _user_key(user_id: str) -> str:
    """Keys of the shared store name a Zalo user by a keyed hash, never the raw id (Redis may persist them)."""
    return keyed_hash(user_id, "zalo-user")[:40]


class SentMessageRegistry:
    def __init__(self, store: KeyStore) -> None:
        self._store = store

    async def before_send(self, user_id: str, text: str) -> None:
        if text:
            await self._store.put("zalo:sent-text:" + _fingerprint(user_id, text), "1", SENT_TTL_S)

    async def after_send(self, message_id: Optional[str]) -> None:
        if message_id:
            await self._store.put("zalo:sent-id:" + message_id, "1", SENT_TTL_S)

    async def sent_by_bot(self, user_id: str, message_id: Optional[str], text: Optional[str]) -> bool:
        if message_id and await self._store.get("zalo:sent-id:" + str(message_id)) is not None:
            return True
        if text and await self._store.get("zalo:sent-text:" + _fingerprint(user_id, text)) is not None:
            return True
        if self._store.may_have_missed_writes():
            logger.info("Zalo: an echo not known as the bot's own during a Redis outage is taken for the bot's own")
            return True
        return False


class OfferedOptions:
    def __init__(self, store: KeyStore) -> None:
        self._store = store

    async def remember(self, user_id: str, payloads: List[str]) -> None:
        await self._store.put("zalo:options:" + _user_key(user_id), json.dumps(payloads, ensure_ascii=False), OPTIONS_TTL_S)

    async def resolve(self, user_id: str, text: str) -> str:
        """The payload of option `text` when it is a number among the last options offered, else `text`."""
        number = text.strip().rstrip(".")
        if not number.isdigit() or len(number) > 2:
            return text
        raw = await self._store.get("zalo:options:" + _user_key(user_id))
        if not raw:
            return text
        try:
            payloads = json.loads(raw)
        except ValueError:
            return text
        index = int(number) - 1
        if 0 <= index < len(payloads) and payloads[index]:
            return str(payloads[index])
        return text
