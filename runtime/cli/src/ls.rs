//! `enact ls [components|invocations|names] [--status S] [--limit N] [--json]`:
//! a table with headers and short ids, newest first; `--json` lists objects
//! with full ids.

use serde_json::{Value, json};

use super::Status;
use crate::Io;
use crate::outln;
use enact_core::component::ComponentInfo;
use enact_core::record::{InvocationEntry, RunHeader};
use enact_core::value::Digest;
use enact_runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// What to list
    #[arg(value_enum, default_value = "components")]
    what: What,
    /// With `invocations`: only those with this status (`completed`, `failed`, `trapped`, `awaiting-input`, `incomplete`, `running`)
    #[arg(long)]
    status: Option<String>,
    /// Show at most N rows
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// With `invocations`: the ones that ran code a completion of this invocation wrote
    #[arg(long, value_name = "INVOCATION")]
    made_by: Option<String>,
    /// Print one JSON array on stdout, with full ids
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum What {
    Components,
    Invocations,
    Names,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let reader = rt.storage().read()?;
    let names = reader.names()?;
    let bound = |component: &Digest| -> Vec<String> {
        names.iter().filter(|(_, d)| d == component).map(|(n, _)| n.clone()).collect()
    };
    // Each row: its JSON, and its cells for people.
    let (header, rows): (&[&str], Vec<(Value, Vec<String>)>) = match args.what {
        What::Components => {
            let mut rows = Vec::new();
            for (digest, info) in reader.components::<ComponentInfo>()? {
                let names = bound(&digest);
                let size = enact_core::limits::human_bytes(info.size);
                let value = json!({ "id": digest.to_string(), "short": digest.short(), "name": info.metadata.name,
                    "names": names, "size": info.size, "pure": info.is_pure() });
                rows.push((value, vec![digest.short(), names.join(","), info.metadata.name, size]));
            }
            (&["ID", "NAMES", "DESCRIBES ITSELF AS", "SIZE"], rows)
        }
        What::Invocations if args.made_by.is_some() => {
            let by = rt.resolve_invocation(args.made_by.as_deref().unwrap_or_default())?;
            let mut rows = Vec::new();
            for written in super::lineage::all_written(&reader)?.into_iter().filter(|w| w.by == by) {
                let inv = rt.load(&written.child)?;
                let status = inv.record.outcome.status().to_string();
                let name = rt.component_name(&inv.record.component);
                let line = super::lineage::first_line(&written.source);
                let value = json!({ "id": written.child.to_string(), "short": written.child.short(), "status": status,
                    "component": inv.record.component.to_string(), "name": name, "event": written.event,
                    "source": line });
                rows.push((value, vec![written.child.short(), status, name, format!("#{}", written.event), line]));
            }
            (&["ID", "STATUS", "COMPONENT", "WRITTEN AT", "SOURCE"], rows)
        }
        What::Invocations => {
            let entries = reader.invocations::<InvocationEntry>()?;
            // What each invocation went on as: the latest that names it as parent.
            let mut went_on: std::collections::HashMap<Digest, (u64, Digest)> = std::collections::HashMap::new();
            for (id, entry) in &entries {
                if let Some(parent) = entry.parent {
                    let later = went_on.get(&parent).is_none_or(|(at, _)| entry.created_ms >= *at);
                    if later {
                        went_on.insert(parent, (entry.created_ms, *id));
                    }
                }
            }
            let mut rows: Vec<(u64, Value, Vec<String>)> = Vec::new();
            for (digest, entry) in entries {
                let name = bound(&entry.component).into_iter().next().unwrap_or(entry.name.clone());
                let time = enact_core::time::rfc3339(entry.created_ms / 1000, 0);
                let next = went_on.get(&digest).map(|(_, id)| *id);
                let value = json!({ "id": digest.to_string(), "short": digest.short(), "status": entry.status,
                    "component": entry.component.to_string(), "name": name, "created": time,
                    "parent": entry.parent.map(|p| p.to_string()), "continued_as": next.map(|n| n.to_string()) });
                let parent = entry.parent.map(|p| p.short()).unwrap_or_default();
                let next = next.map(|n| format!("-> {}", n.short())).unwrap_or_default();
                let cells = vec![digest.short(), entry.status, name, time, parent, next];
                rows.push((entry.created_ms, value, cells));
            }
            for (run, header) in reader.runs::<RunHeader>()? {
                let time = enact_core::time::rfc3339(header.started_ms / 1000, 0);
                let name = bound(&header.component).into_iter().next().unwrap_or(rt.component_name(&header.component));
                let id = format!("run:{run:032x}");
                // A run of this process (a forwarded command's) is running, not cut off.
                let live = rt.storage().is_live(run);
                let status = if live { "running" } else { "incomplete" };
                let value = json!({ "id": id, "short": id, "status": status, "cut_off": !live,
                    "component": header.component.to_string(), "name": name, "created": time });
                let cells = vec![id, status.into(), name, time, String::new(), String::new()];
                rows.push((header.started_ms, value, cells));
            }
            if let Some(status) = &args.status {
                rows.retain(|(_, value, _)| value["status"] == status.as_str());
            }
            // Newest first.
            rows.sort_by_key(|(created, _, _)| std::cmp::Reverse(*created));
            let rows = rows.into_iter().map(|(_, value, cells)| (value, cells)).collect();
            (&["ID", "STATUS", "COMPONENT", "CREATED", "PARENT", "CONTINUED AS"], rows)
        }
        What::Names => {
            let mut rows: Vec<(Value, Vec<String>)> = names
                .iter()
                .map(|(name, digest)| {
                    (
                        json!({ "name": name, "id": digest.to_string() }),
                        vec![name.clone(), digest.short(), String::new()],
                    )
                })
                .collect();
            for (name, component, config) in reader.invokable_names()? {
                let value = enact_store::load::json(&reader, &config)?;
                let with = match value["source"].as_str() {
                    Some(source) => format!("source: {}", super::lineage::first_line(source)),
                    None => format!("config {}", config.short()),
                };
                rows.push((
                    json!({ "name": name, "id": component.to_string(), "config": value }),
                    vec![name, component.short(), with],
                ));
            }
            rows.sort_by(|a, b| a.1[0].cmp(&b.1[0]));
            if rows.iter().all(|(_, cells)| cells[2].is_empty()) {
                // Components' names alone: no column for configs.
                rows.iter_mut().for_each(|(_, cells)| cells.truncate(2));
                (&["NAME", "COMPONENT"], rows)
            } else {
                (&["NAME", "COMPONENT", "WITH"], rows)
            }
        }
    };
    let rows: Vec<_> = rows.into_iter().take(args.limit.unwrap_or(usize::MAX)).collect();
    if args.json {
        outln!(io, "{}", Value::Array(rows.into_iter().map(|(value, _)| value).collect()));
        return Ok(Status::Completed);
    }
    print_table(io, header, rows.iter().map(|(_, cells)| cells.as_slice()));
    Ok(Status::Completed)
}

/// Rows under a header, each column as wide as its widest cell.
fn print_table<'a>(io: &mut Io, header: &[&str], rows: impl Iterator<Item = &'a [String]> + Clone) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows.clone() {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |io: &mut Io, cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
        }
        outln!(io, "{}", text.trim_end());
    };
    line(io, header.to_vec());
    for row in rows {
        line(io, row.iter().map(String::as_str).collect());
    }
}
