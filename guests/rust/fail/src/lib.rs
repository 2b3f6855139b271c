//! `fail`: always returns an error (code `deliberate`); the message is the
//! input when it is a string. With config `{"panic": true}` it panics with
//! that message instead, which traps the invocation (wasm32 aborts on panic)
//! and leaves the panic message in its captured stderr.

use enact_guest::{Error, Guest, Metadata};

struct Fail;

impl Guest for Fail {
    fn describe() -> Metadata {
        enact_guest::metadata("fail", "always fails")
    }

    fn call(config: String, input: String) -> Result<String, Error> {
        let message = enact_guest::parse::<String>("input", &input).unwrap_or_else(|_| "asked to fail".into());
        let config: serde_json::Value = enact_guest::parse("config", &config)?;
        if config["panic"] == true {
            panic!("{message}");
        }
        Err(enact_guest::error("deliberate", message))
    }
}

enact_guest::export!(Fail);
