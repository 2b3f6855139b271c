//! `digits`: picks `digits` decimal digits one by one, each from one
//! journaled random draw, and scores them against a code it keeps to
//! itself: the score is how many leading digits match. Between digits it
//! reads the clock `work` times (a stand-in for the work a real program
//! does between its choices, and what makes its journal long).
//!
//! Independent runs almost never find the code (one in 10^digits);
//! `enact explore digits --score /score` searches the tree of its
//! executions and does.

use enact_guest::{Error, Guest, Metadata};
use serde::{Deserialize, Serialize};

/// The code the score is measured against.
const HIDDEN: &[u64] = &[2, 7, 1, 8, 2, 8, 1, 8, 2, 8];

#[derive(Deserialize)]
struct Config {
    #[serde(default = "six")]
    digits: usize,
    #[serde(default)]
    work: usize,
}

fn six() -> usize {
    6
}

#[derive(Serialize)]
struct Output {
    digits: String,
    score: usize,
}

struct Digits;

impl Guest for Digits {
    fn describe() -> Metadata {
        Metadata {
            config_schema: Some(
                r#"{"type":"object","properties":{"digits":{"type":"integer","minimum":1,"maximum":10},"work":{"type":"integer","minimum":0}}}"#
                    .into(),
            ),
            output_schema: Some(
                r#"{"type":"object","properties":{"digits":{"type":"string"},"score":{"type":"integer"}}}"#.into(),
            ),
            ..enact_guest::metadata("digits", "picks digits at random and scores them against a hidden code")
        }
    }

    fn call(config: String, _input: String) -> Result<String, Error> {
        let config: Config = enact_guest::parse("config", &config)?;
        if !(1..=HIDDEN.len()).contains(&config.digits) {
            return Err(enact_guest::error("invalid-config", "`digits` must be 1 to 10"));
        }
        let mut picked = Vec::with_capacity(config.digits);
        for _ in 0..config.digits {
            for _ in 0..config.work {
                enact_guest::now();
            }
            picked.push(enact_guest::below(10));
        }
        let score = picked.iter().zip(HIDDEN).take_while(|(a, b)| a == b).count();
        let digits = picked.iter().map(u64::to_string).collect();
        enact_guest::output(&Output { digits, score })
    }
}

enact_guest::export!(Digits);
