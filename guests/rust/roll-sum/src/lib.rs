//! `roll-sum`: rolls `n` dice by invoking a die (config `die`, default
//! `roll-die`) once per roll, and returns the sum. Each roll is a child
//! invocation; the die may be written in any language.

use enact_guest::{Error, Guest, Metadata};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    #[serde(default = "six")]
    sides: u64,
    #[serde(default = "roll_die")]
    die: String,
}

fn six() -> u64 {
    6
}

fn roll_die() -> String {
    "roll-die".to_string()
}

#[derive(Deserialize)]
struct Input {
    n: u64,
}

struct RollSum;

impl Guest for RollSum {
    fn describe() -> Metadata {
        Metadata {
            config_schema: Some(
                r#"{"type":"object","properties":{"sides":{"type":"integer","minimum":1},"die":{"type":"string"}}}"#
                    .into(),
            ),
            input_schema: Some(
                r#"{"type":"object","properties":{"n":{"type":"integer","minimum":0}},"required":["n"]}"#.into(),
            ),
            output_schema: Some(r#"{"type":"integer"}"#.into()),
            ..enact_guest::metadata("roll-sum", "rolls n dice through roll-die and returns the sum")
        }
    }

    fn call(config: String, input: String) -> Result<String, Error> {
        let config: Config = enact_guest::parse("config", &config)?;
        let input: Input = enact_guest::parse("input", &input)?;
        let die = serde_json::json!({ "sides": config.sides }).to_string();
        let mut sum = 0;
        for _ in 0..input.n {
            let roll = enact_guest::invoke::call(&config.die, Some(&die), "null")?;
            sum += enact_guest::parse::<u64>("output", &roll)?;
        }
        enact_guest::output(&sum)
    }
}

enact_guest::export!(RollSum);
