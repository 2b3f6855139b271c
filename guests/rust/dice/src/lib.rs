//! `dice`: rolls `n` dice with `sides` sides using enact's random import.
//! Config `{"sides": S}` (default 6), input `{"n": N}`; output `{"sum", "rolls"}`.

use enact_guest::{Error, Guest, Metadata};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Config {
    #[serde(default = "six")]
    sides: u64,
}

fn six() -> u64 {
    6
}

#[derive(Deserialize)]
struct Input {
    n: u64,
}

#[derive(Serialize)]
struct Output {
    sum: u64,
    rolls: Vec<u64>,
}

struct Dice;

impl Guest for Dice {
    fn describe() -> Metadata {
        Metadata {
            config_schema: Some(r#"{"type":"object","properties":{"sides":{"type":"integer","minimum":1}}}"#.into()),
            input_schema: Some(r#"{"type":"object","properties":{"n":{"type":"integer","minimum":0}},"required":["n"]}"#.into()),
            output_schema: Some(r#"{"type":"object","properties":{"sum":{"type":"integer"},"rolls":{"type":"array","items":{"type":"integer"}}}}"#.into()),
            ..enact_guest::metadata("dice", "rolls n dice with the given number of sides")
        }
    }

    fn call(config: String, input: String) -> Result<String, Error> {
        let config: Config = enact_guest::parse("config", &config)?;
        let input: Input = enact_guest::parse("input", &input)?;
        if config.sides == 0 {
            return Err(enact_guest::error("invalid-config", "`sides` must be at least 1"));
        }
        let rolls: Vec<u64> = (0..input.n).map(|_| 1 + enact_guest::below(config.sides)).collect();
        let sum = rolls.iter().sum();
        enact_guest::output(&Output { sum, rolls })
    }
}

enact_guest::export!(Dice);
