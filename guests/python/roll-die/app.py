"""roll-die: one roll of a die with `sides` sides (config, default 6)."""

import enact


class WitWorld(enact.Invokable):
    name = "roll-die"
    doc = "rolls one die"
    config_schema = {"type": "object", "properties": {"sides": {"type": "integer", "minimum": 1}}}
    output_schema = {"type": "integer", "minimum": 1}

    def run(self, config, input):
        return 1 + enact.below(config.get("sides", 6))
