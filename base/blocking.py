"""Blocking work (SQL, HTTP to the province's API) run off the event loop, so one slow call never stalls the others.

One bounded thread pool per process: a flood of slow calls queues here instead of opening unbounded threads or
database connections.
"""
from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional, TypeVar

T = TypeVar("T")
MAX_WORKERS = 16

_executor: Optional[ThreadPoolExecutor] = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="thutuc-blocking")
    return _executor


async def run_blocking(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`call(*args, **kwargs)` on the pool; the caller's event loop keeps serving other requests meanwhile."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), functools.partial(call, *args, **kwargs))
