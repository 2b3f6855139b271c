//! `enact describe TARGET [--json]`: what a component says of itself, and
//! which sources of nondeterminism it can reach.

use crate::Io;
use crate::outln;
use anyhow::Context;
use serde_json::{Value, json};

use super::Status;
use enact_runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A component: its name, its id, a unique prefix of the id, or a .wasm file (added first)
    target: String,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

fn schema(text: &Option<String>) -> Value {
    text.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or(Value::Null)
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let id = super::add::component_of(rt, io, &args.target)?;
    let info = rt.component_info(&id)?.context("the component's index entry is missing")?;
    let m = &info.metadata;
    if args.json {
        outln!(
            io,
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
                "world": info.world.name(),
            })
        );
        return Ok(Status::Completed);
    }
    outln!(io, "{} ({id})", m.name);
    if !m.doc.is_empty() {
        outln!(io, "  {}", m.doc);
    }
    outln!(io, "  world: {}", info.world.name());
    outln!(io, "  size: {}", enact_core::limits::human_bytes(info.size));
    for (what, text) in [("config", &m.config_schema), ("input", &m.input_schema), ("output", &m.output_schema)] {
        if let Some(text) = text {
            outln!(io, "  {what} schema: {text}");
        }
    }
    if info.is_pure() {
        outln!(io, "  pure: imports no source of nondeterminism");
    } else {
        outln!(io, "  nondeterministic sources: {}", info.sources().join(", "));
    }
    Ok(Status::Completed)
}
