"""roll-sum: rolls n dice by invoking a die (config `die`, default `roll-die`)
once per roll, and returns the sum. The die may be written in any language."""

import enact


class WitWorld(enact.Invokable):
    name = "roll-sum"
    doc = "rolls n dice through roll-die and returns the sum"
    config_schema = {
        "type": "object",
        "properties": {"sides": {"type": "integer", "minimum": 1}, "die": {"type": "string"}},
    }
    input_schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}, "required": ["n"]}
    output_schema = {"type": "integer"}

    def run(self, config, input):
        die = config.get("die", "roll-die")
        sides = config.get("sides", 6)
        return sum(enact.invoke(die, {"sides": sides}, None) for _ in range(input["n"]))
