//! `ask-dice`: asks how many dice to roll, then asks a person to roll each,
//! and returns the sum (the Python enact's `roll_dice_user_flow`).

use enact_guest::{Error, Guest, Metadata};

struct AskDice;

impl Guest for AskDice {
    fn describe() -> Metadata {
        Metadata {
            output_schema: Some(r#"{"type":"integer"}"#.into()),
            ..enact_guest::metadata(
                "ask-dice",
                "asks a person how many dice to roll, then for each roll; returns the sum",
            )
        }
    }

    fn call(_config: String, _input: String) -> Result<String, Error> {
        let n: u64 = enact_guest::ask("How many dice?", Some(r#"{"type":"integer","minimum":1}"#))?;
        let mut sum = 0;
        for i in 1..=n {
            let prompt = format!("Roll die {i} of {n}: what did it show?");
            let roll: u64 = enact_guest::ask(&prompt, Some(r#"{"type":"integer","minimum":1,"maximum":6}"#))?;
            sum += roll;
        }
        enact_guest::output(&sum)
    }
}

enact_guest::export!(AskDice);
