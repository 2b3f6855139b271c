//! Write an enact invokable in Rust.
//!
//! ```ignore
//! struct Echo;
//! impl enact_guest::Guest for Echo {
//!     fn describe() -> enact_guest::Metadata { enact_guest::metadata("echo", "returns its input") }
//!     fn call(_config: String, input: String) -> Result<String, enact_guest::Error> { Ok(input) }
//! }
//! enact_guest::export!(Echo);
//! ```
//!
//! Every nondeterministic value comes from the host and is journaled: use
//! [`next_u64`], [`below`], [`now`] (or Rust std's clocks, sleeps and
//! `getrandom`, which go through the journaled WASI), never a value baked in
//! at build time. The helpers have the same names, argument order and types
//! in every language's kit (see `guests/README.md`). A panic traps the
//! invocation (wasm32 aborts on panic); its message is in the captured stderr.

/// The generated bindings of the `enact:runtime/invokable` world.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "invokable",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "enact_guest::bindings",
    });
}

pub use bindings::enact::runtime::types::{Datetime, Level};
pub use bindings::enact::runtime::{clock, input, invoke, llm, log, random, step};
pub use bindings::{Error, Guest, Metadata, export};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Metadata with a name and doc and no schemas.
pub fn metadata(name: &str, doc: &str) -> Metadata {
    Metadata {
        name: name.to_string(),
        doc: doc.to_string(),
        config_schema: None,
        input_schema: None,
        output_schema: None,
    }
}

/// An error with a code and a message.
pub fn error(code: &str, message: impl Into<String>) -> Error {
    Error { code: code.to_string(), message: message.into(), details: None }
}

/// Parses config or input JSON into `T`, or an `invalid-<what>` error.
pub fn parse<T: DeserializeOwned>(what: &str, json: &str) -> Result<T, Error> {
    serde_json::from_str(json).map_err(|e| error(&format!("invalid-{what}"), format!("{what}: {e}")))
}

/// Serializes an output value to JSON text.
pub fn output<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| error("invalid-output", e.to_string()))
}

/// Seconds since the Unix epoch (with a fraction), journaled.
pub fn now() -> f64 {
    let t = clock::now();
    t.seconds as f64 + f64::from(t.nanoseconds) / 1e9
}

/// A uniformly random 64-bit number, journaled.
pub fn next_u64() -> u64 {
    random::next_u64()
}

/// A uniform integer in `0..bound` from one journaled draw (`bound` > 0).
pub fn below(bound: u64) -> u64 {
    ((random::next_u64() as u128 * bound as u128) >> 64) as u64
}

/// Asks a person (or whoever answers) `prompt`, with a JSON Schema the answer
/// must satisfy, and parses the answer into `T`. The invocation suspends
/// until an answer comes.
pub fn ask<T: DeserializeOwned>(prompt: &str, schema: Option<&str>) -> Result<T, Error> {
    ask_with(prompt, schema, None)
}

/// [`ask`], with `context` shown to whoever answers before the prompt (a
/// string is shown as text): for a chat, the assistant's last reply.
pub fn ask_with<T: DeserializeOwned>(
    prompt: &str,
    schema: Option<&str>,
    context: Option<&serde_json::Value>,
) -> Result<T, Error> {
    let request = input::InputRequest {
        prompt: serde_json::Value::String(prompt.to_string()).to_string(),
        schema: schema.map(str::to_string),
        context: context.map(serde_json::Value::to_string),
    };
    parse("answer", &input::request(&request))
}

/// One message of a conversation.
pub fn message(role: &str, content: &str) -> llm::Message {
    llm::Message { role: role.to_string(), content: content.to_string() }
}

/// Completes a conversation with the runtime's model and default settings,
/// and returns the completion's text.
pub fn complete(messages: Vec<llm::Message>) -> Result<String, Error> {
    let request = llm::CompletionRequest {
        model: None,
        messages,
        temperature: None,
        max_tokens: None,
        stop: Vec::new(),
        response_format: None,
    };
    llm::complete(&request).map(|completion| completion.text).map_err(|e| {
        let (code, message) = match e {
            llm::LlmError::Unavailable(m) => ("llm-unavailable", m),
            llm::LlmError::Rejected(m) => ("llm-rejected", m),
            llm::LlmError::Malformed(m) => ("llm-malformed", m),
            llm::LlmError::Timeout(m) => ("llm-timeout", m),
        };
        error(code, message)
    })
}

/// Invokes `target` (an id, a unique prefix or a name) with `config` and
/// `input` as a child and parses its output into `T`; a child's error is
/// returned as it came.
pub fn invoke<T: DeserializeOwned>(
    target: &str,
    config: Option<&serde_json::Value>,
    input: &impl Serialize,
) -> Result<T, Error> {
    let config = config.map(serde_json::Value::to_string);
    let input = serde_json::to_string(input).map_err(|e| error("invalid-input", e.to_string()))?;
    let output = invoke::call(target, config.as_deref(), &input)?;
    parse("output", &output)
}

/// Marks the end of step `name` of a state machine with the state after it,
/// journaled, so that every step's state is visible without a replay and a
/// run can be forked from it. Returns the state to go on with: `state`
/// itself, or the one a fork set.
pub fn mark<T: Serialize + DeserializeOwned>(name: &str, state: T) -> Result<T, Error> {
    let text = serde_json::to_string(&state).map_err(|e| error("invalid-state", e.to_string()))?;
    match step::mark(name, &text) {
        None => Ok(state),
        Some(replaced) => parse("state", &replaced),
    }
}

/// A log line at info level, captured into the invocation.
pub fn log(message: &str) {
    log::log(Level::Info, message);
}
