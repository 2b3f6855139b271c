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
        Outcome::Failed { error } => {
            errln!(io, "error: {error}");
            let trace = error
                .details
                .as_deref()
                .and_then(|d| serde_json::from_str::<Value>(d).ok())
                .and_then(|d| d["traceback"].as_str().or(d["stack"].as_str()).map(str::to_string));
            match trace {
                Some(trace) => print_tail(io, trace.lines()),
                None => print_guest_stderr(rt, io, inv)?,
            }
            if error.code.starts_with("llm-") {
                print_llm_retry(rt, io, inv)?;
            }
        }
        Outcome::Trapped { reason, .. } => {
            errln!(io, "trapped: {reason}");
            print_guest_stderr(rt, io, inv)?;
        }
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
    errln!(io, "invocation {} {} ({} events)", inv.id.short(), inv.record.outcome.status(), inv.record.events);
    Ok(())
}

/// The last lines the guest wrote to stderr (a Rust panic message, a
/// runtime's complaint), under the error, and where the rest is.
fn print_guest_stderr(rt: &Runtime, io: &mut Io, inv: &Invocation) -> anyhow::Result<()> {
    let logs = rt.logs_of(&inv.record)?;
    let stderr: Vec<&str> = logs.iter().filter(|l| l.level == "stderr").map(|l| l.message.as_str()).collect();
    if !stderr.is_empty() {
        print_tail(io, stderr.into_iter());
        errln!(io, "  hint: `enact show {} --events` shows the whole log", inv.id.short());
    }
    Ok(())
}

/// The last lines of `lines`, indented, saying how many came before.
fn print_tail<'a>(io: &mut Io, lines: impl Iterator<Item = &'a str>) {
    const SHOWN: usize = 12;
    let lines: Vec<&str> = lines.collect();
    let skipped = lines.len().saturating_sub(SHOWN);
    if skipped > 0 {
        errln!(io, "  | … {skipped} lines before");
    }
    for line in &lines[skipped..] {
        errln!(io, "  | {line}");
    }
}

/// How to ask the model again after a failed call: rewind past its event
/// and replay, which goes on live from there.
fn print_llm_retry(rt: &Runtime, io: &mut Io, inv: &Invocation) -> anyhow::Result<()> {
    let journal = rt.journal_of(&inv.record)?;
    let Some(at) = journal.iter().rposition(|e| matches!(e, enact_core::event::Event::Llm(_))) else {
        return Ok(());
    };
    let n = journal.len() - at;
    errln!(
        io,
        "  hint: `enact rewind {} {n}` drops the failed call (event #{at}); replaying the new invocation asks the model again",
        inv.id.short()
    );
    Ok(())
}
