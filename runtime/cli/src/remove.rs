//! `enact rm INVOCATION...` takes invocations (with the trees they own) and
//! cut-off runs out of the store; `enact gc` then deletes every object
//! nothing kept needs and gives the space back.

use serde_json::json;

use super::Status;
use crate::Io;
use crate::{noteln, outln};
use enact_core::limits::human_bytes;
use enact_core::value::Digest;
use enact_runtime::{Artifacts, Runtime};
use enact_store::Storage;

#[derive(Debug, clap::Args)]
pub(super) struct RmArgs {
    /// Invocations (ids, unique prefixes, `last`, a component's name for its latest) or `run:<hex>` cut-off runs
    #[arg(required = true, value_name = "INVOCATION")]
    targets: Vec<String>,
    /// Print what was removed as JSON on stdout, with full ids
    #[arg(long)]
    json: bool,
}

pub(super) fn rm(rt: &Runtime, io: &mut Io, args: RmArgs) -> anyhow::Result<Status> {
    // Every target resolves before anything is removed.
    let (mut ids, mut runs) = (Vec::new(), Vec::new());
    for target in &args.targets {
        if target.starts_with("run:") {
            runs.push(rt.resolve_run(target)?);
        } else {
            ids.push(rt.resolve_invocation(target)?);
        }
    }
    let removed = rt.remove(&ids)?;
    rt.remove_runs(&runs)?;
    let run_ids: Vec<String> = runs.iter().map(|r| format!("run:{r:032x}")).collect();
    if args.json {
        let invocations: Vec<String> = removed.invocations.iter().map(Digest::to_string).collect();
        outln!(io, "{}", json!({ "invocations": invocations, "children": removed.children, "runs": run_ids }));
    }
    let children = removed.children;
    let mut said = format!("removed {} invocation{}", ids.len(), plural(ids.len()));
    if children > 0 {
        said += &format!(" and {children} child{}", if children == 1 { "" } else { "ren" });
    }
    if !runs.is_empty() {
        said += &format!(" and {} cut-off run{}", runs.len(), plural(runs.len()));
    }
    noteln!(io, "{said}; hint: `enact gc` frees their storage");
    Ok(Status::Completed)
}

#[derive(Debug, clap::Args)]
pub(super) struct GcArgs {
    /// Print what was freed as JSON on stdout
    #[arg(long)]
    json: bool,
}

/// Runs on the store alone: compacting the file needs it unshared. The
/// compiled code of components the store no longer holds goes too.
pub(super) fn gc(
    mut storage: std::sync::Arc<Storage>,
    artifacts: &Artifacts,
    io: &mut Io,
    args: GcArgs,
) -> anyhow::Result<Status> {
    let file_size = |storage: &Storage| std::fs::metadata(storage.path()).map(|m| m.len()).unwrap_or(0);
    let before = file_size(&storage);
    let collected = enact_store::gc::collect(&storage)?;
    let kept: std::collections::BTreeSet<Digest> =
        storage.read()?.components::<serde_json::Value>()?.into_iter().map(|(d, _)| d).collect();
    let (artifacts, artifact_bytes) = artifacts.retain(|component| kept.contains(component));
    // Also what finished runs' journal chunks left free; not while the
    // process holding the store runs other commands (this one among them).
    let compacted = match std::sync::Arc::get_mut(&mut storage) {
        Some(alone) => alone.compact().map(|_| true)?,
        None => false,
    };
    let after = file_size(&storage);
    if args.json {
        outln!(
            io,
            "{}",
            json!({ "blobs": collected.blobs, "bytes": collected.bytes, "components": collected.components,
                "artifacts": artifacts, "artifact_bytes": artifact_bytes, "kept_blobs": collected.kept_blobs,
                "file_before": before, "file_after": after })
        );
    }
    let file = match compacted {
        true => format!("the store file is now {} (was {})", human_bytes(after), human_bytes(before)),
        false => {
            format!("the store file stays {} until a gc that holds the store alone shrinks it", human_bytes(after))
        }
    };
    if collected.blobs == 0 && artifacts == 0 {
        noteln!(io, "nothing to free: every one of {} objects is needed; {file}", collected.kept_blobs);
    } else {
        let code = match artifacts {
            0 => String::new(),
            n => format!(", and {} of compiled code in {n} file{}", human_bytes(artifact_bytes), plural(n as usize)),
        };
        noteln!(
            io,
            "freed {} ({} object{}, {} component{}{code}); {file}",
            human_bytes(collected.bytes + artifact_bytes),
            collected.blobs,
            plural(collected.blobs as usize),
            collected.components,
            plural(collected.components as usize),
        );
    }
    Ok(Status::Completed)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
