import asyncio
import threading
import time

from base.blocking import run_blocking


async def test_blocking_call_does_not_stall_the_event_loop():
    ticks = []

    async def ticker():
        for _ in range(5):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.02)

    started = time.monotonic()
    result, _ = await asyncio.gather(run_blocking(lambda: (time.sleep(0.3), threading.current_thread().name)[1]),
                                     ticker())
    assert result.startswith("thutuc-blocking")
    assert len(ticks) == 5 and ticks[-1] - started < 0.25  # the loop kept ticking while the call slept


async def test_errors_reach_the_caller():
    def fail():
        raise ValueError("boom")

    try:
        await run_blocking(fail)
    except ValueError as error:
        assert str(error) == "boom"
    else:
        raise AssertionError("the error was swallowed")
