//! Rendering invocations for people and as JSON.

use crate::Io;
use crate::{errln, outln};
use serde_json::Value;

use super::Status;
use enact_core::record::{Invocation, Outcome};
use enact_runtime::Runtime;

/// The exit status for an invocation's outcome.
pub(super) fn status_of(outcome: &Outcome) -> Status {
    match outcome {
        Outcome::Completed { .. } => Status::Completed,
        Outcome::Failed { .. } | Outcome::Trapped { .. } | Outcome::Incomplete => Status::Failed,
        Outcome::AwaitingInput { .. } => Status::AwaitingInput,
    }
}

/// The `--json` object: see [`enact_store::view::summary`].
pub(super) fn invocation_json(rt: &Runtime, inv: &Invocation) -> anyhow::Result<Value> {
    Ok(enact_store::view::summary(&rt.storage().read()?, inv)?)
}

pub(super) fn print_invocation(rt: &Runtime, io: &mut Io, inv: &Invocation, json: bool) -> anyhow::Result<()> {
    if json {
        outln!(io, "{}", invocation_json(rt, inv)?);
        return Ok(());
    }
    match &inv.record.outcome {
        Outcome::Completed { .. } => {
            outln!(io, "{}", inv.output.clone().unwrap_or(Value::Null));
        }
        Outcome::Failed { error } => errln!(io, "error: {error}"),
        Outcome::Trapped { reason, .. } => errln!(io, "trapped: {reason}"),
        Outcome::AwaitingInput { request } => {
            let request = enact_store::load::json(&rt.storage().read()?, request)?;
            errln!(io, "awaiting input: {}", request["prompt"]);
            if !request["schema"].is_null() {
                errln!(io, "  schema: {}", request["schema"]);
            }
            errln!(io, "  hint: answer with `enact resume {} --answer JSON`", inv.id.short());
        }
        Outcome::Incomplete => {}
    }
    errln!(io, "invocation {} {} ({} events)", inv.id, inv.record.outcome.status(), inv.record.events);
    Ok(())
}
