"""python: runs Python source, such as a model just wrote, as an invokable.

Config `{"source": "..."}`; the code sees `input` (the parsed input) and
`enact` (the kit: `random`, `now`, `ask`, `complete`, `invoke`, `log`,
`mark`), and produces the output by returning it from `main(input)`, or by
setting `output`. `print` goes to the captured log; an exception fails the
invocation with code `exception` and the traceback in its details. The same
source is the same invokable (this runner and that config) everywhere.
"""

import enact


class WitWorld(enact.Invokable):
    name = "python"
    doc = "runs Python source: the output is what main(input) returns, or `output`"
    config_schema = {
        "type": "object",
        "properties": {"source": {"type": "string", "description": "Python source text"}},
        "required": ["source"],
        "additionalProperties": False,
    }

    def run(self, config, input):
        code = compile(config["source"], "<source>", "exec")
        namespace = {"__name__": "__main__", "input": input, "enact": enact}
        exec(code, namespace)
        main = namespace.get("main")
        if callable(main):
            return main(input)
        if "output" in namespace:
            return namespace["output"]
        raise enact.Error("no-output", "the source defines no main(input) and sets no `output`")
