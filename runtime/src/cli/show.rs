//! `enact show INVOCATION [--json] [--events]`: one line per call,
//! `->name[config](input) = output`, with journal events and logs beneath.

use serde_json::{Value, json};

use super::{Status, output};
use crate::invocation::{self, Invocation, Outcome};
use crate::runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// An invocation id or unique id prefix (12+ hex digits)
    invocation: String,
    /// List the journal events and captured log lines under each call
    #[arg(long)]
    events: bool,
    /// Print the tree as one JSON object on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, args: Args) -> anyhow::Result<Status> {
    let id = rt.resolve_invocation(&args.invocation)?;
    let inv = rt.load(&id)?;
    if args.json {
        println!("{}", tree_json(rt, &inv, args.events)?);
    } else {
        print!("{}", tree_text(rt, &inv, args.events, 0)?);
    }
    Ok(Status::Completed)
}

/// `->name[config](input)`: the config is left out when it is `{}` or `null`.
fn call_label(rt: &Runtime, inv: &Invocation) -> anyhow::Result<String> {
    let reader = rt.storage().read()?;
    let config = invocation::json_blob(&reader, &inv.record.config)?;
    let input = invocation::json_blob(&reader, &inv.record.input)?;
    let name = rt.component_name(&inv.record.component);
    let empty = config.is_null() || config.as_object().is_some_and(|o| o.is_empty());
    let config = if empty { String::new() } else { format!("[{config}]") };
    let input = if input.is_null() { String::new() } else { input.to_string() };
    Ok(format!("->{name}{config}({input})"))
}

fn tree_text(rt: &Runtime, inv: &Invocation, events: bool, depth: usize) -> anyhow::Result<String> {
    let indent = "  ".repeat(depth);
    let result = match &inv.record.outcome {
        Outcome::Completed { .. } => format!(" = {}", inv.output.clone().unwrap_or(Value::Null)),
        Outcome::Failed { error } => format!(" failed: {error}"),
        Outcome::Trapped { reason } => format!(" trapped: {reason}"),
        Outcome::Incomplete => " incomplete".to_string(),
    };
    let mut out = format!("{indent}{}{result}\n", call_label(rt, inv)?);
    if events {
        let logs = invocation::logs_of(rt, &inv.record)?;
        let mut logs = logs.iter().peekable();
        for (i, event) in invocation::journal_of(rt, &inv.record)?.iter().enumerate() {
            while let Some(line) = logs.next_if(|l| l.at.is_some_and(|at| at <= i as u64)) {
                out.push_str(&format!("{indent}    {}: {}\n", line.level, line.message));
            }
            out.push_str(&format!("{indent}  #{i} {} -> {}\n", event.request(), event.response_text()));
        }
        for line in logs {
            out.push_str(&format!("{indent}    {}: {}\n", line.level, line.message));
        }
    }
    Ok(out)
}

fn tree_json(rt: &Runtime, inv: &Invocation, events: bool) -> anyhow::Result<Value> {
    let reader = rt.storage().read()?;
    let mut obj = output::invocation_json(inv);
    obj["name"] = json!(rt.component_name(&inv.record.component));
    obj["config"] = invocation::json_blob(&reader, &inv.record.config)?;
    obj["input"] = invocation::json_blob(&reader, &inv.record.input)?;
    obj["engine"] = json!(inv.record.engine);
    obj["limits"] = json!(inv.record.limits);
    obj["children"] = json!([]);
    if events {
        let journal = invocation::journal_of(rt, &inv.record)?;
        obj["journal"] = Value::Array(journal.iter().map(|e| e.to_json()).collect());
        obj["logs"] = json!(invocation::logs_of(rt, &inv.record)?);
    }
    Ok(obj)
}
