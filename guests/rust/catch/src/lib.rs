//! `catch`: invokes `fail`, catches its error, and carries on with a roll of
//! `roll-die`. Output `{"caught": "<code>: <message>", "roll": R}`.

use enact_guest::{Error, Guest, Metadata};

struct Catch;

impl Guest for Catch {
    fn describe() -> Metadata {
        enact_guest::metadata("catch", "calls a failing child, catches the error and carries on")
    }

    fn call(_config: String, _input: String) -> Result<String, Error> {
        let caught = match enact_guest::invoke::call("fail", None, "\"the child failed\"") {
            Ok(output) => return Err(enact_guest::error("unexpected", format!("`fail` returned {output}"))),
            Err(e) => format!("{}: {}", e.code, e.message),
        };
        let roll = enact_guest::invoke::call("roll-die", None, "null")?;
        let roll: u64 = enact_guest::parse("output", &roll)?;
        enact_guest::output(&serde_json::json!({ "caught": caught, "roll": roll }))
    }
}

enact_guest::export!(Catch);
