//! `echo`: returns its input unchanged. Pure: it asks the host for nothing.

use enact_guest::{Error, Guest, Metadata};

struct Echo;

impl Guest for Echo {
    fn describe() -> Metadata {
        enact_guest::metadata("echo", "returns its input")
    }

    fn call(_config: String, input: String) -> Result<String, Error> {
        Ok(input)
    }
}

enact_guest::export!(Echo);
