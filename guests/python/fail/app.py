"""fail: a bug in user code. It looks up a key the input does not have, so
Python raises KeyError; the kit returns it as the invocation's error with
code `exception`, the message, and the traceback in the details."""

import enact


class WitWorld(enact.Invokable):
    name = "fail"
    doc = "raises KeyError: an exception the code did not expect"

    def run(self, config, input):
        return {"missing": {}["missing"]}
