//! Counts to `n` by hand, marking each step with its state: a component
//! that is not a flow but has steps, which `enact flow steps` lists and
//! `enact flow fork` goes on from.

use enact_guest::{Error, Metadata};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Input {
    n: u64,
}

#[derive(Serialize, Deserialize)]
struct State {
    count: u64,
}

struct Counter;

impl enact_guest::Guest for Counter {
    fn describe() -> Metadata {
        enact_guest::metadata("counter", "counts to n, one marked step at a time")
    }

    fn call(_config: String, input: String) -> Result<String, Error> {
        let input: Input = enact_guest::parse("input", &input)?;
        let mut state = State { count: 0 };
        while state.count < input.n {
            state.count += 1;
            // A fork may hand back another state to go on with.
            state = enact_guest::mark("increment", state)?;
        }
        enact_guest::output(&state)
    }
}

enact_guest::export!(Counter);
