//! `@NAME@`: greets by name with a lucky number. The number comes from
//! enact's journaled random source, so a replay greets with the same one.
//! Input `{"name": "Ada"}`; output `{"greeting", "lucky"}`.

use enact_guest::{Error, Guest, Metadata};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Input {
    name: String,
}

#[derive(Serialize)]
struct Output {
    greeting: String,
    lucky: u64,
}

struct App;

impl Guest for App {
    fn describe() -> Metadata {
        Metadata {
            input_schema: Some(
                r#"{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}"#.into(),
            ),
            ..enact_guest::metadata("@NAME@", "greets by name with a lucky number")
        }
    }

    fn call(_config: String, input: String) -> Result<String, Error> {
        let input: Input = enact_guest::parse("input", &input)?;
        // More helpers: enact_guest::ask (a person), complete (an LLM),
        // invoke::call (another component), now, log.
        let lucky = enact_guest::below(100);
        enact_guest::output(&Output { greeting: format!("Hello, {}!", input.name), lucky })
    }
}

enact_guest::export!(App);
