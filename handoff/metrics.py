"""Handoff tickets waiting for a clerk, as a Prometheus gauge read from the database when Prometheus scrapes.

A gauge kept in memory would be wrong as soon as a clerk closes a ticket from the CLI or another host, so the count
is a query at scrape time. The query runs on a worker thread of its own and the scrape waits for it at most
`THUTUC_METRICS_DB_TIMEOUT` (2 s): a database that hangs makes the scrape report `thutuc_ticket_store_up 0` and no
ticket sample, instead of hanging the scrape (and never piles up queries: a scrape that finds the previous query
still running waits for that one).
"""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Callable, Iterator, Optional

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from base.metrics import REGISTRY
from base.settings import get_settings
from handoff.store import WAITING_STATUSES, ConversationStore

logger = logging.getLogger(__name__)

TICKETS_OPEN = "thutuc_handoff_tickets_open"
STORE_UP = "thutuc_ticket_store_up"
TICKETS_HELP = ("Handoff tickets not closed yet, by status: open (office hours, the bot is paused until a clerk "
                "closes it), callback (after hours, answered on the next working day). Read from the database.")
UP_HELP = "1 when this scrape read the ticket count from the database within THUTUC_METRICS_DB_TIMEOUT, else 0."


class TicketCollector(Collector):
    def __init__(self, counts: Optional[Callable[[], dict[str, int]]] = None, timeout_s: Optional[float] = None) -> None:
        self._counts = counts or _counts_from_settings()
        self._timeout_s = timeout_s if timeout_s is not None else get_settings().metrics_db_timeout_s
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ticket-metrics")
        self._pending: Optional[Future] = None
        self._answered = False
        self._failing = False

    def describe(self) -> list[GaugeMetricFamily]:
        return [GaugeMetricFamily(STORE_UP, UP_HELP), GaugeMetricFamily(TICKETS_OPEN, TICKETS_HELP, labels=["status"])]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self._read()
        up = GaugeMetricFamily(STORE_UP, UP_HELP)
        up.add_metric([], 1.0 if counts is not None else 0.0)
        yield up
        if counts is not None:
            tickets = GaugeMetricFamily(TICKETS_OPEN, TICKETS_HELP, labels=["status"])
            for status in WAITING_STATUSES:
                tickets.add_metric([status], float(counts.get(status, 0)))
            yield tickets

    def _read(self) -> Optional[dict[str, int]]:
        # A query that outlived its scrape answers the next scrape (one interval late) instead of being dropped; a
        # new query starts only once the previous one's answer was used.
        if self._pending is None or (self._pending.done() and self._answered):
            self._pending = self._executor.submit(self._counts)
            self._answered = False
        try:
            counts = self._pending.result(timeout=self._timeout_s)
        except FutureTimeout:
            self._log_failure(f"no answer within {self._timeout_s:g} s")
            return None
        except Exception as error:  # noqa: BLE001 - any database error: the scrape says the store is down
            self._answered = True
            self._log_failure(type(error).__name__)
            return None
        self._answered = True
        if self._failing:
            logger.info("Ticket metrics: the database answers again")
            self._failing = False
        return counts

    def _log_failure(self, reason: str) -> None:
        if not self._failing:  # once per outage, not once per scrape
            logger.warning("Ticket metrics: cannot count tickets (%s); thutuc_ticket_store_up is 0", reason)
            self._failing = True


def _counts_from_settings() -> Callable[[], dict[str, int]]:
    """Opens the store (migrations included) on the worker thread at the first scrape, not at start-up."""
    store: list[ConversationStore] = []

    def counts() -> dict[str, int]:
        if not store:
            store.append(ConversationStore.from_settings())
        return store[0].waiting_counts()

    return counts


def register_ticket_collector(registry: CollectorRegistry = REGISTRY, **kwargs: object) -> TicketCollector:
    collector = TicketCollector(**kwargs)  # type: ignore[arg-type]
    registry.register(collector)
    return collector
