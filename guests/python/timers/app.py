"""timers: waits the ways Python programs do, through WASI timers that enact journals.

`time.sleep`, then two `asyncio` tasks sleeping different times (the shorter
finishes first), and `time.process_time()`, which must not be negative.
Input `{"sleep_ms": S}` (default 20). A replay serves the recorded timer
readings and does not wait.
"""

import asyncio
import time

import enact


class WitWorld(enact.Invokable):
    name = "timers"
    doc = "sleeps with time.sleep and asyncio.sleep, through journaled WASI timers"
    input_schema = {"type": "object", "properties": {"sleep_ms": {"type": "integer", "minimum": 0}}}

    def run(self, config, input):
        sleep = input.get("sleep_ms", 20) / 1000
        start = time.monotonic()
        time.sleep(sleep)
        slept = time.monotonic() - start

        order = []

        async def nap(name, seconds):
            await asyncio.sleep(seconds)
            order.append(name)

        async def both():
            await asyncio.gather(nap("slow", 2 * sleep), nap("fast", sleep / 2))

        asyncio.run(both())
        return {"slept_ns": int(slept * 1e9), "order": order, "process_time": time.process_time()}
