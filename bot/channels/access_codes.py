"""A citizen who left a question after hours comes back with the access code the bot gave them (`HD-XXXXXX`).

The web chat answers such a message itself, before Rasa: it shows what clerks have answered on that ticket (or that
no answer is there yet). This works from any device or browser, also after "Bắt đầu lại"; the same browser also
gets the answer without the code (the outbox, base/outbox.py). Wrong codes are limited per client (the TCP peer or
a trusted proxy's real-IP header): `ACCESS_CODE_FAILURES` per hour, shared by replicas (base/ratelimit.py).
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional

from base.blocking import run_blocking
from base.ratelimit import Limit, SlidingWindowCounter, event_store_from_settings

logger = logging.getLogger(__name__)

ACCESS_CODE_FAILURES = Limit("access-code-client", 10, 3600)

MSG_ANSWERED = "Cán bộ đã trả lời câu hỏi của bạn (phiếu số {ticket}):"
MSG_NOT_YET = ("Cán bộ chưa trả lời câu hỏi của bạn (phiếu số {ticket}). Câu trả lời sẽ có vào ngày làm việc tiếp "
               "theo; bạn quay lại và nhắn mã này nhé.")
MSG_UNKNOWN = "Mã tra cứu không đúng. Bạn kiểm tra lại mã (dạng HD-XXXXXX) nhé."
MSG_TOO_MANY = "Bạn đã nhập sai mã quá nhiều lần. Vui lòng thử lại sau {minutes} phút."
MSG_UNAVAILABLE = "Hiện chưa tra được mã này. Bạn vui lòng thử lại sau ít phút nhé."


class AccessCodeDesk:
    def __init__(self, tickets: Callable[[], Any], counter: Optional[Callable[[], SlidingWindowCounter]] = None) -> None:
        self._tickets_factory = tickets
        self._counter_factory = counter or (lambda: SlidingWindowCounter(event_store_from_settings()))
        self._tickets: Any = None
        self._counter: Optional[SlidingWindowCounter] = None

    @classmethod
    def from_settings(cls) -> "AccessCodeDesk":
        from handoff.store import ConversationStore

        return cls(ConversationStore.from_settings)

    @staticmethod
    def is_code(text: str) -> bool:
        from handoff.store import normalise_access_code

        return normalise_access_code(text) is not None

    def _open(self) -> None:
        if self._tickets is None:
            self._tickets = self._tickets_factory()
        if self._counter is None:
            self._counter = self._counter_factory()

    def _look_up(self, code: str, client: str) -> List[Dict[str, Any]]:
        self._open()
        attempt = self._counter.record((ACCESS_CODE_FAILURES, client))
        state = attempt.states[0]
        if state.over:
            self._counter.discard(attempt)
            return [{"text": MSG_TOO_MANY.format(minutes=state.retry_after_minutes)}]
        ticket = self._tickets.ticket_by_access_code(code)
        if ticket is None:
            return [{"text": MSG_UNKNOWN}]
        self._counter.discard(attempt)  # a right code does not count against the client
        replies = self._tickets.replies(ticket.id)
        if not replies:
            return [{"text": MSG_NOT_YET.format(ticket=ticket.id)}]
        return [{"text": MSG_ANSWERED.format(ticket=ticket.id)}] + [{"text": r.text, "from": "clerk"} for r in replies]

    async def answer(self, code: str, client: str) -> List[Dict[str, Any]]:
        try:
            return await run_blocking(self._look_up, code, client)
        except Exception:  # noqa: BLE001
            logger.exception("Access code lookup failed")
            return [{"text": MSG_UNAVAILABLE}]
