// Write an enact invokable in JavaScript.
//
//   import { invokable } from "../kit/enact.js";
//   export const { describe, call } = invokable({
//     name: "echo",
//     doc: "returns its input",
//     run: (config, input) => input,
//   });
//
// Build with componentize-js (`--wit wit -n invokable`). Every nondeterministic
// value comes from the host and is journaled: use the helpers below, or
// Math.random, Date.now, crypto.getRandomValues and setTimeout, which
// StarlingMonkey serves through WASI. `run` may be async: the event loop runs
// until its promise settles. Module-level code runs once, when the component
// is built: draw random values and read clocks inside `run`.
//
// Throw `EnactError(code, message)` to return an error with that code; any
// other exception is returned with code `exception`, its message, and its
// stack in the details.

import { now as clockNow } from "enact:runtime/clock@0.1.0";
import { request } from "enact:runtime/input@0.1.0";
import { call as invokeCall } from "enact:runtime/invoke@0.1.0";
import { complete as llmComplete } from "enact:runtime/llm@0.1.0";
import { log as hostLog } from "enact:runtime/log@0.1.0";
import { nextU64 as randomU64 } from "enact:runtime/random@0.1.0";
import { mark as stepMark } from "enact:runtime/step@0.1.0";

// A guest has no network. Without this, `fetch` would trap the invocation
// with an `unreachable` instruction; now it is an error the guest can catch.
globalThis.fetch = async () => {
  throw new TypeError("no network: fetch is not available to enact guests");
};

/** An error with a short machine-readable `code`, returned to the caller. */
export class EnactError extends Error {
  constructor(code, message, details) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

const jsonOrUndefined = (value) => (value === undefined ? undefined : JSON.stringify(value));

/**
 * The `describe` and `call` exports of an invokable, from its name, doc, JSON
 * Schemas (as objects) and `run(config, input)` on parsed JSON values.
 */
export function invokable({ name, doc = "", configSchema, inputSchema, outputSchema, run }) {
  return {
    describe: () => ({
      name,
      doc,
      configSchema: jsonOrUndefined(configSchema),
      inputSchema: jsonOrUndefined(inputSchema),
      outputSchema: jsonOrUndefined(outputSchema),
    }),
    call(config, input) {
      let output;
      try {
        output = run(JSON.parse(config), JSON.parse(input));
      } catch (e) {
        throw guestError(e);
      }
      if (output instanceof Promise) {
        return output.then(outputJson, (e) => {
          throw guestError(e);
        });
      }
      return outputJson(output);
    },
  };
}

const outputJson = (value) => JSON.stringify(value === undefined ? null : value);

function guestError(e) {
  if (e instanceof EnactError) {
    return { code: e.code, message: e.message, details: jsonOrUndefined(e.details) };
  }
  const name = e?.name ?? "Error";
  const message = e instanceof Error ? `${name}: ${e.message}` : String(e);
  return { code: "exception", message, details: JSON.stringify({ type: name, stack: e?.stack ?? "" }) };
}

/** Seconds since the Unix epoch (a fraction), journaled. */
export function now() {
  const t = clockNow();
  return Number(t.seconds) + t.nanoseconds / 1e9;
}

/** A uniformly random 64-bit number (a BigInt), journaled. */
export function nextU64() {
  return randomU64();
}

/** A uniform integer in `[0, bound)` from one journaled draw. */
export function below(bound) {
  return Number((randomU64() * BigInt(bound)) >> 64n);
}

/**
 * Asks a person (or whoever answers) and returns the parsed JSON answer. The
 * invocation suspends until an answer comes; it satisfies `schema`.
 */
export function ask(prompt, schema, context) {
  return JSON.parse(
    request({ prompt: JSON.stringify(prompt), schema: jsonOrUndefined(schema), context: jsonOrUndefined(context) }),
  );
}

/** Completes a conversation (a list of `{role, content}`) and returns the text. */
export function complete(messages, { model, temperature, maxTokens, stop = [], responseFormat } = {}) {
  try {
    return llmComplete({
      model,
      messages: messages.map(({ role, content }) => ({ role, content })),
      temperature,
      maxTokens,
      stop,
      responseFormat: jsonOrUndefined(responseFormat),
    }).text;
  } catch (e) {
    const err = e.payload ?? e;
    throw new EnactError(`llm-${err.tag}`, String(err.val));
  }
}

/**
 * Invokes `target` (an id, a unique prefix or a name) with `config` and
 * `input` as a child and returns its parsed output; a child's error is thrown
 * as an EnactError.
 */
export function invoke(target, config, input = null) {
  let out;
  try {
    out = invokeCall(target, jsonOrUndefined(config), JSON.stringify(input));
  } catch (e) {
    const err = e.payload ?? e;
    throw new EnactError(err.code, err.message, err.details === undefined ? undefined : JSON.parse(err.details));
  }
  return JSON.parse(out);
}

/**
 * Marks the end of step `name` of a state machine with `state` (an object),
 * journaled, so that every step's state is visible without a replay and a
 * run can be forked from it. Returns the state to go on with: `state` itself,
 * or the one a fork set.
 */
export function mark(name, state) {
  const replaced = stepMark(name, JSON.stringify(state));
  return replaced === undefined ? state : JSON.parse(replaced);
}

/** A log line, captured into the invocation (`trace`, `debug`, `info`, `warn`, `error`). */
export function log(message, level = "info") {
  hostLog(level, message);
}
