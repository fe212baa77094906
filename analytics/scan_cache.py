"""Results of a pass over the stored conversation events, kept while the events table is unchanged.

A dashboard load, a review page load and the reload after each review decision would otherwise each stream every
event of the range again. Before a pass, one aggregate query reads the table's *watermark* — how many rows, the
lowest and the highest id — which changes whenever a message is stored (a higher id), and whenever conversations
are deleted by the retention job or a privacy purge (fewer rows, a higher lowest id). A pass whose watermark is
unchanged returns the kept result. Results are treated as read-only by their callers.

A cache belongs to one engine (the staff pages keep one per process beside their tracker engine; a caller without one
scans every time). It is bounded (`MAX_ENTRIES`, least recently used first out) and safe across the threads
`run_blocking` uses; two threads asking for the same missing entry each compute it (no lock is held while scanning).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable, Optional, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from analytics.events import EVENTS

T = TypeVar("T")
MAX_ENTRIES = 16
Watermark = tuple[int, Optional[int], Optional[int]]


def watermark(engine: Engine) -> Watermark:
    """(rows, lowest id, highest id) of the events table; (0, None, None) when there is no table yet."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("events"):
            return (0, None, None)
        rows, lowest, highest = connection.execute(
            sa.select(sa.func.count(), sa.func.min(EVENTS.c.id), sa.func.max(EVENTS.c.id))).one()
    return (int(rows), lowest, highest)


class ScanCache:
    def __init__(self, engine: Engine, max_entries: int = MAX_ENTRIES) -> None:
        self.engine = engine
        self._entries: "OrderedDict[Hashable, tuple[Watermark, Any]]" = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self.passes = 0  # how many times a result was computed (for tests and the benchmark)

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The result of `compute()` for `key`, computed again only if the events table changed since."""
        entry_key = key
        mark = watermark(self.engine)
        with self._lock:
            kept = self._entries.get(entry_key)
            if kept is not None and kept[0] == mark:
                self._entries.move_to_end(entry_key)
                return kept[1]
        result = compute()
        with self._lock:
            self.passes += 1
            self._entries[entry_key] = (mark, result)
            self._entries.move_to_end(entry_key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return result

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

