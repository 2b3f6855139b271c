"""Write an enact invokable in Python.

Subclass `Invokable` as `WitWorld` in your app module, give it a name, a doc
and JSON Schemas, and define `run(config, input)` on parsed JSON values:

    import enact

    class WitWorld(enact.Invokable):
        name = "echo"
        doc = "returns its input"

        def run(self, config, input):
            return input

Build with `componentize-py -d wit -w invokable componentize app -p kit -p DIR`.
Every nondeterministic value comes from the host and is journaled: use the
helpers below, or Python's own `random`, `time` and `asyncio`, which go
through WASI. Module-level code runs once, when the component is built: draw
random values and read clocks inside `run`.

`enact.Error(code, message)` is returned to the caller with its code; any
other exception is returned with code `exception`, its message, and the
traceback in the details.
"""

import json
import sys
import traceback

import wit_world
from componentize_py_types import Err
from wit_world.imports import clock, invoke as _invoke, llm as _llm, log as _log, random as _random, step as _step, types
from wit_world.imports import input as _input


class Error(Exception):
    """An error with a short machine-readable `code`, returned to the caller."""

    def __init__(self, code: str, message: str, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class Invokable(wit_world.WitWorld):
    """The `invokable` world, with JSON in and out. Override `run`."""

    name = "invokable"
    doc = ""
    config_schema = None
    input_schema = None
    output_schema = None

    def run(self, config, input):
        raise Error("not-implemented", f"{self.name} does not define run()")

    def describe(self) -> types.Metadata:
        return types.Metadata(
            name=self.name,
            doc=self.doc,
            config_schema=_json_or_none(self.config_schema),
            input_schema=_json_or_none(self.input_schema),
            output_schema=_json_or_none(self.output_schema),
        )

    def call(self, config: str, input: str) -> str:
        if "asyncio" in sys.modules:
            _asyncio_without_sockets()
        try:
            return json.dumps(self.run(json.loads(config), json.loads(input)))
        except Error as e:
            raise Err(types.Error(code=e.code, message=e.message, details=_json_or_none(e.details)))
        except Exception as e:
            details = {"type": type(e).__name__, "traceback": traceback.format_exc()}
            raise Err(types.Error(code="exception", message=f"{type(e).__name__}: {e}", details=json.dumps(details)))


def _asyncio_without_sockets():
    """Makes `asyncio.run` work in a guest: asyncio's event loop wakes itself
    through a socket pair, and a guest has no sockets (nor another thread or
    a signal that would need the wake-up). Its timers are WASI timers, which
    enact journals."""
    import asyncio

    if getattr(asyncio.get_event_loop_policy(), "enact", False):
        return

    class EventLoop(asyncio.SelectorEventLoop):
        def _make_self_pipe(self):
            self._ssock = self._csock = None

        def _close_self_pipe(self):
            pass

    class Policy(asyncio.DefaultEventLoopPolicy):
        enact = True

        def new_event_loop(self):
            return EventLoop()

    asyncio.set_event_loop_policy(Policy())


def _json_or_none(value):
    return None if value is None else json.dumps(value)


def now() -> float:
    """Seconds since the Unix epoch, journaled."""
    t = clock.now()
    return t.seconds + t.nanoseconds / 1e9


def next_u64() -> int:
    """A uniformly random 64-bit number, journaled."""
    return _random.next_u64()


def below(bound: int) -> int:
    """A uniform integer in `range(bound)` from one journaled draw."""
    return (_random.next_u64() * bound) >> 64


def ask(prompt, schema=None, context=None):
    """Asks a person (or whoever answers) and returns the parsed JSON answer.
    The invocation suspends until an answer comes; it satisfies `schema`."""
    request = _input.InputRequest(prompt=json.dumps(prompt), schema=_json_or_none(schema), context=_json_or_none(context))
    return json.loads(_input.request(request))


def complete(messages, model=None, temperature=None, max_tokens=None, stop=(), response_format=None) -> str:
    """Completes a conversation (a list of `{"role", "content"}`) and returns the text."""
    request = _llm.CompletionRequest(
        model=model,
        messages=[_llm.Message(role=m["role"], content=m["content"]) for m in messages],
        temperature=temperature,
        max_tokens=max_tokens,
        stop=list(stop),
        response_format=_json_or_none(response_format),
    )
    try:
        return _llm.complete(request).text
    except Err as e:
        kind = type(e.value).__name__.removeprefix("LlmError_").lower()
        raise Error(f"llm-{kind}", e.value.value)


def invoke(target: str, config=None, input=None):
    """Invokes `target` (an id, a unique prefix or a name) with `config` and
    `input` as a child and returns its parsed output; a child's error is
    raised as `Error`."""
    try:
        out = _invoke.call(target, _json_or_none(config), json.dumps(input))
    except Err as e:
        raise Error(e.value.code, e.value.message, None if e.value.details is None else json.loads(e.value.details))
    return json.loads(out)


def mark(name: str, state):
    """Marks the end of step `name` of a state machine with `state` (a dict),
    journaled, so that every step's state is visible without a replay and a
    run can be forked from it. Returns the state to go on with: `state`
    itself, or the one a fork set."""
    replaced = _step.mark(name, json.dumps(state))
    return state if replaced is None else json.loads(replaced)


def log(message: str, level: str = "info") -> None:
    """A log line, captured into the invocation."""
    _log.log(types.Level[level.upper()], message)
