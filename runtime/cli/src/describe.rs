//! `enact describe TARGET [--json]`: what a component says of itself, and
//! which sources of nondeterminism it can reach.

use anyhow::Context;
use serde_json::{Value, json};

use super::Status;
use enact_runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A component id, unique id prefix (12+ hex digits) or name
    target: String,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

fn schema(text: &Option<String>) -> Value {
    text.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or(Value::Null)
}

pub(super) fn run(rt: &Runtime, args: Args) -> anyhow::Result<Status> {
    let id = rt.resolve_component(&args.target)?;
    let info = rt.component_info(&id)?.context("the component's index entry is missing")?;
    let m = &info.metadata;
    if args.json {
        println!(
            "{}",
            json!({
                "component": id.to_string(),
                "name": m.name,
                "doc": m.doc,
                "size": info.size,
                "config_schema": schema(&m.config_schema),
                "input_schema": schema(&m.input_schema),
                "output_schema": schema(&m.output_schema),
                "sources": info.sources(),
                "pure": info.is_pure(),
                "imports": info.imports,
            })
        );
        return Ok(Status::Completed);
    }
    println!("{} ({id})", m.name);
    if !m.doc.is_empty() {
        println!("  {}", m.doc);
    }
    println!("  size: {}", enact_core::limits::human_bytes(info.size));
    for (what, text) in [("config", &m.config_schema), ("input", &m.input_schema), ("output", &m.output_schema)] {
        if let Some(text) = text {
            println!("  {what} schema: {text}");
        }
    }
    if info.is_pure() {
        println!("  pure: imports no source of nondeterminism");
    } else {
        println!("  nondeterministic sources: {}", info.sources().join(", "));
    }
    Ok(Status::Completed)
}
