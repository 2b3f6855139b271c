"""dice: rolls n dice with Python's own `random` module and reads `time`.

CPython seeds `random` from the operating system and reads the clock through
it; here that is WASI, which enact journals, so a replay rolls the same dice
at the same time. Config `{"sides": S}` (default 6), input `{"n": N}`.
"""

import random
import time

import enact


class WitWorld(enact.Invokable):
    name = "dice"
    doc = "rolls n dice with Python's random module (seeded through WASI)"
    config_schema = {"type": "object", "properties": {"sides": {"type": "integer", "minimum": 1}}}
    input_schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}, "required": ["n"]}

    def run(self, config, input):
        sides = config.get("sides", 6)
        rng = random.Random()  # seeded from os.urandom: WASI random, journaled
        rolls = [rng.randint(1, sides) for _ in range(input["n"])]
        return {"sum": sum(rolls), "rolls": rolls, "at": time.time()}
