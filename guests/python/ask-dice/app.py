"""ask-dice: asks how many dice to roll, then asks a person for each roll,
and returns the sum."""

import enact


class WitWorld(enact.Invokable):
    name = "ask-dice"
    doc = "asks a person how many dice to roll, then for each roll; returns the sum"
    output_schema = {"type": "integer"}

    def run(self, config, input):
        n = enact.ask("How many dice?", {"type": "integer", "minimum": 1})
        total = 0
        for i in range(1, n + 1):
            total += enact.ask(f"Roll die {i} of {n}: what did it show?", {"type": "integer", "minimum": 1, "maximum": 6})
        return total
