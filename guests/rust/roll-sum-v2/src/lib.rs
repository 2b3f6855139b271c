//! `roll-sum`, version 2: as `roll-sum`, but a die that shows 1 is rolled
//! once more and the new roll counts. The changed version `enact check`
//! compares with the first: a run that rolled no 1 replays identically on
//! it; one that did asks for one die more than its journal holds.

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

struct RollSumV2;

impl Guest for RollSumV2 {
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
            ..enact_guest::metadata("roll-sum", "rolls n dice through roll-die, rolling a 1 again, and returns the sum")
        }
    }

    fn call(config: String, input: String) -> Result<String, Error> {
        let config: Config = enact_guest::parse("config", &config)?;
        let input: Input = enact_guest::parse("input", &input)?;
        let die = serde_json::json!({ "sides": config.sides }).to_string();
        let mut sum = 0;
        for _ in 0..input.n {
            let roll = || -> Result<u64, Error> {
                enact_guest::parse::<u64>("output", &enact_guest::invoke::call(&config.die, Some(&die), "null")?)
            };
            let mut value = roll()?;
            if value == 1 {
                value = roll()?;
            }
            sum += value;
        }
        enact_guest::output(&sum)
    }
}

enact_guest::export!(RollSumV2);
