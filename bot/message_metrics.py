"""Metrics of the Rasa server's message path, and its private /metrics listener (base/metrics.py).

`Agent.handle_message` is the one entry of every channel (REST, web chat, Zalo, the clerk page's messages): wrapped
here, it counts each message by channel and times it until its replies are sent (Zalo's are posted to the OA API
inside it; REST and the web chat return them in the HTTP answer right after). The parse is wrapped to count
`nlu_fallback` intents, and the conversation lock of Rasa's own stores is timed in bot/lock_store.py. Installed by
the Rasa server entry point (bot/rasa_server.py) after bot/outage_replies.py, so the polite outage replies are timed
too.
"""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Text

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor

from base.metrics import MESSAGES, NLU_FALLBACK, REPLY_SECONDS, channel_label, serve_metrics
from base.settings import Settings, get_settings
from bot.lock_store import measure_rasa_lock_wait

NLU_FALLBACK_INTENT = "nlu_fallback"  # FallbackClassifier's intent (config.yml); data/rules: → action_clarify

_installed = False


def install(settings: Optional[Settings] = None) -> None:
    """Instrument this process's message path and serve its /metrics on the private port."""
    global _installed
    if _installed:
        return
    original_handle = Agent.handle_message
    original_parse = MessageProcessor.parse_message

    async def handle_message(self: Agent, message: UserMessage) -> Optional[List[Dict[Text, Any]]]:
        channel = channel_label(message.input_channel)
        MESSAGES.labels(channel).inc()
        started = time.perf_counter()
        try:
            return await original_handle(self, message)
        finally:
            REPLY_SECONDS.labels(channel).observe(time.perf_counter() - started)

    async def parse_message(self: MessageProcessor, message: UserMessage, tracker: Any = None,
                            only_output_properties: bool = True) -> Dict[Text, Any]:
        parsed = await original_parse(self, message, tracker, only_output_properties)
        if (parsed.get("intent") or {}).get("name") == NLU_FALLBACK_INTENT:
            NLU_FALLBACK.labels(channel_label(message.input_channel)).inc()
        return parsed

    Agent.handle_message = handle_message
    MessageProcessor.parse_message = parse_message
    measure_rasa_lock_wait()
    _installed = True
    settings = settings or get_settings()
    serve_metrics(settings.rasa_metrics_port, settings.metrics_bind_host)
