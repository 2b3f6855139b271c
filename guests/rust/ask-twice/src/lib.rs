//! `ask-twice`: invokes `ask-dice` twice and returns both sums; the people it
//! asks are asked through the child invocations, so a suspension in a child
//! suspends this invocation too.

use enact_guest::{Error, Guest, Metadata};

struct AskTwice;

impl Guest for AskTwice {
    fn describe() -> Metadata {
        enact_guest::metadata("ask-twice", "runs ask-dice twice as child invocations")
    }

    fn call(_config: String, _input: String) -> Result<String, Error> {
        let first = enact_guest::invoke::call("ask-dice", None, "null")?;
        let second = enact_guest::invoke::call("ask-dice", None, "null")?;
        Ok(format!("[{first},{second}]"))
    }
}

enact_guest::export!(AskTwice);
