//! `fail`: always returns an error (code `deliberate`); the message is the
//! input when it is a string.

use enact_guest::{Error, Guest, Metadata};

struct Fail;

impl Guest for Fail {
    fn describe() -> Metadata {
        enact_guest::metadata("fail", "always fails")
    }

    fn call(_config: String, input: String) -> Result<String, Error> {
        let message = enact_guest::parse::<String>("input", &input).unwrap_or_else(|_| "asked to fail".into());
        Err(enact_guest::error("deliberate", message))
    }
}

enact_guest::export!(Fail);
