//! Rendering invocations for people and as JSON.

use crate::Io;
use crate::{errln, noteln, outln};
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
            errln!(io, "{} {error}", io.style.error("error:"));
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
            errln!(io, "{} {reason}", io.style.error("trapped:"));
            print_guest_stderr(rt, io, inv)?;
        }
        Outcome::AwaitingInput { request } => {
            let request = enact_store::load::json(&rt.storage().read()?, request)?;
            errln!(io, "awaiting input: {}", request["prompt"]);
            if !request["schema"].is_null() {
                errln!(io, "  schema: {}", request["schema"]);
            }
            errln!(io, "  {} answer with `enact resume {} --answer JSON`", io.style.hint("hint:"), inv.id.short());
        }
        Outcome::Incomplete => {}
    }
    let status = io.style.status(inv.record.outcome.status());
    noteln!(io, "invocation {} {status} ({})", inv.id.short(), events(inv.record.events));
    Ok(())
}

/// The last lines the guest wrote to stderr (a Rust panic message, a
/// runtime's complaint), under the error, and where the rest is.
fn print_guest_stderr(rt: &Runtime, io: &mut Io, inv: &Invocation) -> anyhow::Result<()> {
    let logs = rt.logs_of(&inv.record)?;
    let stderr: Vec<&str> = logs.iter().filter(|l| l.level == "stderr").map(|l| l.message.as_str()).collect();
    if !stderr.is_empty() {
        print_tail(io, stderr.into_iter());
        errln!(io, "  {} `enact show {} --events` shows the whole log", io.style.hint("hint:"), inv.id.short());
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
        "  {} `enact rewind {} {n}` drops the failed call (event #{at}); replaying the new invocation asks the model again",
        io.style.hint("hint:"),
        inv.id.short()
    );
    Ok(())
}

/// `1 event`, `3 events`.
pub(super) fn events(n: u64) -> String {
    if n == 1 { "1 event".into() } else { format!("{n} events") }
}
