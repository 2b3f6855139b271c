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
//! [`random`], [`now`] (or Rust std's clocks and `getrandom`, which go through
//! the journaled WASI), never a value baked in at build time.

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
pub use bindings::enact::runtime::{clock, input, invoke, llm, log, random};
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

/// The current time, journaled.
pub fn now() -> Datetime {
    clock::now()
}

/// A uniform integer in `0..bound` from one journaled draw (`bound` > 0).
pub fn below(bound: u64) -> u64 {
    ((random::next_u64() as u128 * bound as u128) >> 64) as u64
}

/// Logs `message` at info level.
pub fn info(message: &str) {
    log::log(Level::Info, message);
}
