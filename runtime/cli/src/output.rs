//! Rendering invocations for people and as JSON.

use crate::Io;
use crate::{errln, outln};
use serde_json::{Value, json};

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

/// The `--json` object: `invocation`, `status`, and `output`, `error` or `request`.
pub(super) fn invocation_json(rt: &Runtime, inv: &Invocation) -> anyhow::Result<Value> {
    let mut obj = json!({
        "invocation": inv.id.to_string(),
        "status": inv.record.outcome.status(),
        "component": inv.record.component.to_string(),
        "events": inv.record.events,
    });
    let fields = obj.as_object_mut().expect("built as an object");
    match &inv.record.outcome {
        Outcome::Completed { .. } => {
            fields.insert("output".into(), inv.output.clone().unwrap_or(Value::Null));
        }
        Outcome::Failed { error } => {
            fields.insert(
                "error".into(),
                json!({ "code": error.code, "message": error.message, "details": error.details }),
            );
        }
        Outcome::Trapped { reason, .. } => {
            fields.insert("error".into(), json!({ "code": "trapped", "message": reason }));
        }
        Outcome::AwaitingInput { request } => {
            fields.insert("request".into(), enact_store::load::json(&rt.storage().read()?, request)?);
        }
        Outcome::Incomplete => {}
    }
    if let Some(parent) = inv.record.parent {
        fields.insert("parent".into(), json!(parent.to_string()));
    }
    Ok(obj)
}

/// Prints an invocation: the output on stdout, id and status on stderr.
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
