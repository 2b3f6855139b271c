//! `nest`: input `{"depth": D}`; invokes itself with `D - 1` until 0 and
//! returns how deep it went. Exercises the child depth limit.

use enact_guest::{Error, Guest, Metadata};
use serde::Deserialize;

#[derive(Deserialize)]
struct Input {
    depth: u64,
}

struct Nest;

impl Guest for Nest {
    fn describe() -> Metadata {
        enact_guest::metadata("nest", "invokes itself `depth` times")
    }

    fn call(_config: String, input: String) -> Result<String, Error> {
        let input: Input = enact_guest::parse("input", &input)?;
        if input.depth == 0 {
            return enact_guest::output(&0);
        }
        let below = enact_guest::invoke::call("nest", None, &format!(r#"{{"depth":{}}}"#, input.depth - 1))?;
        let below: u64 = enact_guest::parse("output", &below)?;
        enact_guest::output(&(below + 1))
    }
}

enact_guest::export!(Nest);
