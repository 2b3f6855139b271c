"""dice: rolls n dice with Python's own `random` module.

CPython seeds `random` from the operating system, which here is WASI's random
source: enact journals it, so a replay rolls the same dice. Config
`{"sides": S}` (default 6), input `{"n": N}`; output `{"sum", "rolls"}`.
"""

import json
import random
import time

import wit_world
from componentize_py_types import Err
from wit_world.imports import types


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.Metadata:
        return types.Metadata(
            name="dice",
            doc="rolls n dice with Python's random module (seeded through WASI)",
            config_schema=json.dumps({"type": "object", "properties": {"sides": {"type": "integer", "minimum": 1}}}),
            input_schema=json.dumps(
                {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}, "required": ["n"]}
            ),
            output_schema=None,
        )

    def call(self, config: str, input: str) -> str:
        try:
            sides = json.loads(config).get("sides", 6)
            n = json.loads(input)["n"]
        except (ValueError, KeyError, AttributeError, TypeError) as e:
            raise Err(types.Error(code="invalid-input", message=str(e), details=None))
        rng = random.Random()  # seeded from os.urandom: WASI random, journaled
        rolls = [rng.randint(1, sides) for _ in range(n)]
        return json.dumps({"sum": sum(rolls), "rolls": rolls, "at": time.time()})
