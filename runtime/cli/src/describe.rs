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
    let id = match super::add::component_of(rt, io, &args.target) {
        Ok(id) => id,
        // An invocation (a generated program run as a child, say): what ran, and who wrote it.
        Err(e) => match rt.resolve_invocation(&args.target) {
            Ok(invocation) => return invocation_of(rt, io, &invocation, args.json),
            Err(_) => return Err(e),
        },
    };
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

/// `enact describe INVOCATION`: its component and, for source a model
/// wrote, the invocation and event that wrote it.
fn invocation_of(rt: &Runtime, io: &mut Io, id: &enact_core::value::Digest, json: bool) -> anyhow::Result<Status> {
    let inv = rt.load(id)?;
    let reader = rt.storage().read()?;
    let config = enact_store::load::json(&reader, &inv.record.config)?;
    let source = config["source"].as_str().map(str::to_string);
    let written = super::lineage::all_written(&reader)?.into_iter().find(|w| w.child == *id);
    let name = rt.component_name(&inv.record.component);
    if json {
        let by = written.as_ref().map(|w| json!({"invocation": w.by.to_string(), "event": w.event}));
        outln!(
            io,
            "{}",
            json!({"invocation": id.to_string(), "component": inv.record.component.to_string(), "name": name,
                   "status": inv.record.outcome.status(), "source": source, "written_by": by})
        );
        return Ok(Status::Completed);
    }
    outln!(
        io,
        "invocation {} of `{name}` ({}): {}",
        id.short(),
        inv.record.component.short(),
        inv.record.outcome.status()
    );
    if let Some(source) = &source {
        outln!(io, "  source: {:?} ({} lines)", super::lineage::first_line(source), source.lines().count());
    }
    match written {
        Some(w) => outln!(io, "  written by invocation {}, event #{}", w.by.short(), w.event),
        None if source.is_some() => outln!(io, "  written by no journaled completion (given as it is)"),
        None => {}
    }
    Ok(Status::Completed)
}
