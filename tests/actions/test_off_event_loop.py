"""Actions that read the database never run it on the action server's event loop (base/blocking.py)."""
from __future__ import annotations

import asyncio
import inspect
import threading

from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher

from actions import guidance, handoff
from actions.blocking_action import BlockingAction
from tests.actions.conftest import make_tracker


def test_every_guidance_and_handoff_action_is_awaited_not_called_on_the_loop():
    for module in (guidance, handoff):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Action) and cls.__module__ == module.__name__:
                assert inspect.iscoroutinefunction(cls.run), f"{module.__name__}.{name}.run blocks the event loop"


def test_the_body_runs_on_the_pool_while_the_loop_keeps_serving():
    class Probe(BlockingAction):
        def name(self) -> str:
            return "action_probe"

        def act(self, dispatcher, tracker, domain):
            import time

            time.sleep(0.2)  # a slow query
            dispatcher.utter_message(text=threading.current_thread().name)
            return []

    async def scenario():
        ticks = 0

        async def ticker():
            nonlocal ticks
            for _ in range(5):
                ticks += 1
                await asyncio.sleep(0.02)

        dispatcher = CollectingDispatcher()
        await asyncio.gather(Probe().run(dispatcher, make_tracker("x"), {}), ticker())
        return dispatcher.messages[0]["text"], ticks

    thread, ticks = asyncio.run(scenario())
    assert thread.startswith("thutuc-blocking") and ticks == 5
