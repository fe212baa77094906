"""Prometheus metrics of every thutuc process: one registry, the metric definitions, bounded labels, and the private
listener that serves them.

Each process (a Rasa replica, an action server) keeps its own numbers and serves them on its own private port
(`Settings.rasa_metrics_port` / `actions_metrics_port`, bound to THUTUC_METRICS_BIND_HOST): prometheus_client's own
HTTP server in a daemon thread, a listener apart from Sanic's, so no route of the public app can reach it and a busy
event loop does not stall a scrape. Prometheus adds `instance` and `job` to every sample, so no label here names the
process. Labels are bounded: channel names from a fixed set, action names and Zalo error codes capped
(`BoundedLabel`), never a sender or conversation id.

Where each metric is counted (docs/operations.md, "Monitoring"):

- Rasa server: messages and reply latency (bot/message_metrics.py, around `Agent.handle_message`, the one entry of
  every channel), NLU fallbacks (same module, after the parse), conversation-lock waits (bot/lock_store.py), Zalo API
  errors (bot/channels/zalo_client.py), failed calls to the action server (bot/outage_replies.py).
- Action server: action runs and errors (bot/action_server.py), clarifying questions (actions/guidance.py), handoff
  tickets waiting for a clerk (handoff/metrics.py, read from the database at scrape time).

One Sanic worker per process is assumed (the default of both servers): several workers would each count apart and
only one would be scraped.
"""
from __future__ import annotations

import logging
import threading
from typing import Iterable, Optional
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, start_http_server
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

logger = logging.getLogger(__name__)

disable_created_metrics()  # no `_created` sample beside every counter: Prometheus does not need them
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # process_resident_memory_bytes, process_cpu_seconds_total, open fds
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

OTHER = "other"


class BoundedLabel:
    """Label values from a known set, plus at most `spare` values first seen at run time; anything beyond is
    `other`, so a misbehaving peer cannot grow the number of series without bound."""

    def __init__(self, known: Iterable[str], spare: int) -> None:
        self._known = set(known)
        self._spare = spare
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: Optional[object]) -> str:
        text = str(value) if value is not None else OTHER
        if text in self._known or text in self._seen:
            return text
        with self._lock:
            if len(self._seen) < self._spare and len(text) <= 64 and text.isprintable():
                self._seen.add(text)
                return text
        return OTHER


# The input channels of credentials.yml (bot/channels: rest.py, webchat.py, zalo.py, clerk.py); nothing else.
CHANNELS = frozenset({"rest", "webchat", "zalo", "clerk"})


def channel_label(name: Optional[str]) -> str:
    return name if name in CHANNELS else OTHER


# Zalo's documented error codes the connector meets (bot/channels/zalo_client.py), plus what is not a Zalo code.
ZALO_NETWORK = "network"  # no answer: connection refused, timeout
ZALO_BAD_RESPONSE = "bad_response"  # an answer that is not Zalo's JSON
ZALO_TOKEN_REFRESH = "token_refresh"  # the refresh token was refused or could not be used
zalo_error_label = BoundedLabel(
    {"-32", "-201", "-204", "-210", "-211", "-213", "-216", "-220", "-230", "-240",
     ZALO_NETWORK, ZALO_BAD_RESPONSE, ZALO_TOKEN_REFRESH},
    spare=20,
)
action_label = BoundedLabel((), spare=100)  # the registered actions are fewer than 40

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)
LOCK_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)

MESSAGES = Counter(
    "thutuc_messages", "Messages received (citizens and clerks), by input channel.", ["channel"], registry=REGISTRY,
)
REPLY_SECONDS = Histogram(
    "thutuc_reply_seconds",
    "From a message reaching the bot to its replies sent (REST, web chat: collected for the HTTP answer; Zalo: "
    "posted to the OA API), by input channel; includes the wait for the conversation lock.",
    ["channel"], buckets=LATENCY_BUCKETS, registry=REGISTRY,
)
NLU_FALLBACK = Counter(
    "thutuc_nlu_fallback",
    "Messages whose intent came out as nlu_fallback (classifier confidence below the threshold), by channel.",
    ["channel"], registry=REGISTRY,
)
CLARIFY = Counter(
    "thutuc_clarify",
    "action_clarify runs by outcome: question (did you mean…? buttons), menu (second miss in a row: the menu and a "
    "clerk), answered (the message named a procedure after all).",
    ["outcome"], registry=REGISTRY,
)
ACTION_RUNS = Counter("thutuc_action_runs", "Custom actions run by the action server.", ["action"],
                      registry=REGISTRY)
ACTION_ERRORS = Counter(
    "thutuc_action_errors",
    "Custom actions that raised (the action server answered 500; Rasa told the citizen the service is interrupted).",
    ["action"], registry=REGISTRY,
)
ACTION_SERVER_FAILURES = Counter(
    "thutuc_action_server_failures",
    "Calls from the Rasa server to the action server that failed: down, refused, error or slower than "
    "THUTUC_ACTION_TIMEOUT.",
    registry=REGISTRY,
)
ZALO_API_ERRORS = Counter(
    "thutuc_zalo_api_errors",
    "Zalo OA API answers with a non-zero error, by Zalo's code (as a string; network, bad_response and "
    "token_refresh for failures without one). Retried sends count each answer.",
    ["code"], registry=REGISTRY,
)
LOCK_WAIT_SECONDS = Histogram(
    "thutuc_lock_wait_seconds",
    "Time to acquire a conversation's lock, by store: redis (shared by the replicas) or memory (no REDIS_URL, or "
    "Redis down).",
    ["store"], buckets=LOCK_BUCKETS, registry=REGISTRY,
)


def serve_metrics(port: int, host: str, registry: CollectorRegistry = REGISTRY) -> Optional[WSGIServer]:
    """Serve /metrics on host:port in a daemon thread; None when `port` is 0 or cannot be bound (logged once: the
    assistant must not stop for its metrics)."""
    if not port:
        return None
    try:
        server, _thread = start_http_server(port, host, registry)
    except OSError as error:
        logger.warning("Metrics: cannot listen on %s:%s (%s); /metrics is off in this process", host, port, error)
        return None
    logger.info("Metrics: http://%s:%s/metrics", host, port)
    return server
