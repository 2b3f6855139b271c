//! `roll-die`: one roll of a die with `sides` sides (config, default 6).

use enact_guest::{Error, Guest, Metadata};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    #[serde(default = "six")]
    sides: u64,
}

fn six() -> u64 {
    6
}

struct RollDie;

impl Guest for RollDie {
    fn describe() -> Metadata {
        Metadata {
            config_schema: Some(r#"{"type":"object","properties":{"sides":{"type":"integer","minimum":1}}}"#.into()),
            output_schema: Some(r#"{"type":"integer","minimum":1}"#.into()),
            ..enact_guest::metadata("roll-die", "rolls one die")
        }
    }

    fn call(config: String, _input: String) -> Result<String, Error> {
        let config: Config = enact_guest::parse("config", &config)?;
        if config.sides == 0 {
            return Err(enact_guest::error("invalid-config", "`sides` must be at least 1"));
        }
        enact_guest::output(&(1 + enact_guest::below(config.sides)))
    }
}

enact_guest::export!(RollDie);
