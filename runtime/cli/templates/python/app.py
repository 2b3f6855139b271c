"""@NAME@: greets by name with a lucky number.

Python's own `random` is seeded through WASI, which enact journals, so a
replay greets with the same number. `input()` has no terminal here: ask a
person with `enact.ask(prompt, schema)`. Input `{"name": "Ada"}`.
"""

import random

import enact


class WitWorld(enact.Invokable):
    name = "@NAME@"
    doc = "greets by name with a lucky number"
    input_schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}

    def run(self, config, input):
        # More helpers: enact.ask (a person), enact.complete (an LLM),
        # enact.invoke (another component), enact.now, enact.log.
        return {"greeting": f"Hello, {input['name']}!", "lucky": random.randrange(100)}
