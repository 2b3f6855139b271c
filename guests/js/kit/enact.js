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
// Math.random and Date.now, which StarlingMonkey serves through WASI.

import { now as clockNow } from "enact:runtime/clock@0.1.0";
import { request } from "enact:runtime/input@0.1.0";
import { call as invokeCall } from "enact:runtime/invoke@0.1.0";
import { complete as llmComplete } from "enact:runtime/llm@0.1.0";
import { log as hostLog } from "enact:runtime/log@0.1.0";
import { nextU64 } from "enact:runtime/random@0.1.0";

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
      try {
        return JSON.stringify(run(JSON.parse(config), JSON.parse(input)));
      } catch (e) {
        if (e instanceof EnactError) {
          throw { code: e.code, message: e.message, details: jsonOrUndefined(e.details) };
        }
        throw { code: "invalid-input", message: String(e), details: undefined };
      }
    },
  };
}

/** Milliseconds since the Unix epoch, journaled. */
export function now() {
  const t = clockNow();
  return Number(t.seconds) * 1000 + Math.floor(t.nanoseconds / 1e6);
}

/** A uniform integer in `[0, bound)` from one journaled draw. */
export function below(bound) {
  return Number((nextU64() * BigInt(bound)) >> 64n);
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
 * Invokes `target` (an id, a unique prefix or a name) as a child and returns
 * its parsed output; a child's error is thrown as an EnactError.
 */
export function invoke(target, input = null, config) {
  let out;
  try {
    out = invokeCall(target, jsonOrUndefined(config), JSON.stringify(input));
  } catch (e) {
    const err = e.payload ?? e;
    throw new EnactError(err.code, err.message, err.details === undefined ? undefined : JSON.parse(err.details));
  }
  return JSON.parse(out);
}

/** A log line, captured into the invocation (`trace`, `debug`, `info`, `warn`, `error`). */
export function log(message, level = "info") {
  hostLog(level, message);
}
