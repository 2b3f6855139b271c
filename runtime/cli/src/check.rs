//! `enact check NEW --against OLD [--json]`: serve the journal of every
//! finished invocation of OLD to NEW and say, for each, what would change:
//! `identical` (the same requests and output), `same-output` (NEW asked for
//! fewer events and gave the same output), `different-output` (the same
//! requests, another output), `diverged` (NEW asked for something else at
//! event k, or stopped early with another output) or `failed` (the replay
//! could not run). Nothing is written. Exit 1 when any is not identical.
//!
//! A target is a component (name, id or prefix), a named invokable (a
//! component with its config), or a flow file (the flow interpreter with
//! that flow): the invocations checked are those of OLD's component, and of
//! OLD's config when it has one.

use std::path::Path;

use serde_json::{Value, json};

use super::Status;
use crate::Io;
use crate::outln;
use enact_core::event::Divergence;
use enact_core::record::{InvocationEntry, Outcome};
use enact_core::value::Digest;
use enact_runtime::{ReplayError, ReplayOptions, RunError, Runtime};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The new version: a component's name, id or unique prefix, a named invokable, or a flow file
    new: String,
    /// The old version, whose stored invocations are replayed on the new one
    #[arg(long, value_name = "OLD")]
    against: String,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

/// A component, with the config it runs with when the target fixes one.
pub(crate) struct Target {
    pub component: Digest,
    pub config: Option<Value>,
}

/// Resolves `target`: a flow file, a named invokable, or a component.
pub(crate) fn resolve(rt: &Runtime, io: &Io, target: &str) -> anyhow::Result<Target> {
    let path = io.path(target);
    let is_flow = matches!(path.extension().and_then(|e| e.to_str()), Some("toml" | "json")) && path.is_file();
    if is_flow {
        let loaded = crate::flow::load_checked(Path::new(&path))?;
        let config: Value = serde_json::from_str(&loaded.flow.to_json())?;
        return Ok(Target { component: crate::flow::interpreter(rt)?, config: Some(config) });
    }
    if let Some((component, config)) = rt.named_invokable(target)? {
        return Ok(Target { component, config: Some(config) });
    }
    Ok(Target { component: rt.resolve_component(target)?, config: None })
}

/// What replaying invocation `id` (whose output was `recorded_output`, if
/// it completed) on the new version showed.
pub(crate) fn verdict(rt: &Runtime, id: &Digest, recorded_output: Option<Digest>, new: &Target) -> Value {
    let run_on = Some((new.component, new.config.as_ref().map(Value::to_string)));
    match rt.replay_with(id, ReplayOptions { run_on, ..ReplayOptions::default() }) {
        Ok(_) => json!({"result": "identical"}),
        Err(ReplayError::Run(RunError::Divergence(d))) => match d {
            Divergence::Request { index, recorded, actual } => {
                json!({"result": "diverged", "event": index, "recorded": recorded, "asked": actual})
            }
            Divergence::Unused { used, recorded, output } => {
                let same = output.as_deref().map(Digest::of).is_some_and(|o| Some(o) == recorded_output);
                let output: Option<Value> = output.and_then(|o| serde_json::from_slice(&o).ok());
                if same {
                    json!({"result": "same-output", "events": used, "recorded_events": recorded})
                } else {
                    json!({"result": "diverged", "event": used, "recorded": format!("{recorded} events"),
                        "asked": "nothing more: it returned", "output": output})
                }
            }
            Divergence::Output { recorded, actual } => {
                json!({"result": "different-output", "recorded": recorded, "output": actual})
            }
        },
        Err(e) => json!({"result": "failed", "message": format!("{e}")}),
    }
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let new = resolve(rt, io, &args.new)?;
    let old = resolve(rt, io, &args.against)?;
    let old_config = old.config.as_ref().map(|c| Digest::of(&enact_core::value::canonical_bytes(c)));
    let reader = rt.storage().read()?;
    let mut entries: Vec<(Digest, InvocationEntry)> = reader.invocations()?;
    drop(reader);
    entries.retain(|(_, e)| e.component == old.component);
    entries.sort_by_key(|(_, e)| e.created_ms);
    let mut results = Vec::new();
    for (id, entry) in entries {
        let inv = rt.load(&id)?;
        if old_config.is_some_and(|config| config != inv.record.config) {
            continue;
        }
        let mut verdict = match entry.status.as_str() {
            "completed" | "failed" | "trapped" => {
                let output = match &inv.record.outcome {
                    Outcome::Completed { output } => Some(*output),
                    _ => None,
                };
                verdict(rt, &id, output, &new)
            }
            // An unfinished run has nothing to compare yet.
            status => json!({"result": "skipped", "message": format!("not finished ({status})")}),
        };
        verdict["invocation"] = json!(id);
        verdict["input"] = enact_store::load::json(&rt.storage().read()?, &inv.record.input)?;
        results.push(verdict);
    }
    let mut counts = serde_json::Map::new();
    for r in &results {
        let key = r["result"].as_str().unwrap_or_default().to_string();
        let n = counts.get(&key).and_then(Value::as_u64).unwrap_or(0);
        counts.insert(key, json!(n + 1));
    }
    let differ = results.iter().any(|r| !matches!(r["result"].as_str(), Some("identical" | "skipped")));
    if args.json {
        outln!(io, "{}", json!({"new": args.new, "against": args.against, "results": results, "counts": counts}));
    } else {
        outln!(io, "checked {} invocations of `{}` on `{}`", results.len(), args.against, args.new);
        for r in &results {
            let id = r["invocation"].as_str().unwrap_or_default().trim_start_matches("sha256:");
            let id = &id[..id.len().min(12)];
            let input = r["input"].to_string();
            let how = match r["result"].as_str().unwrap_or_default() {
                "diverged" => format!(
                    "diverged at event #{}: the journal has `{}`, it asked for `{}`",
                    r["event"],
                    r["recorded"].as_str().unwrap_or_default(),
                    r["asked"].as_str().unwrap_or_default()
                ),
                "same-output" => {
                    format!("same output, a shorter journal ({} of {} events)", r["events"], r["recorded_events"])
                }
                "different-output" => format!(
                    "different output: {} instead of {}",
                    r["output"].as_str().unwrap_or_default(),
                    r["recorded"].as_str().unwrap_or_default()
                ),
                "failed" | "skipped" => {
                    format!(
                        "{}: {}",
                        r["result"].as_str().unwrap_or_default(),
                        r["message"].as_str().unwrap_or_default()
                    )
                }
                other => other.to_string(),
            };
            outln!(io, "  {id} ({input}): {how}");
        }
        let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
        outln!(io, "{}", if summary.is_empty() { "nothing to check".to_string() } else { summary.join(", ") });
    }
    Ok(if differ { Status::Failed } else { Status::Completed })
}
