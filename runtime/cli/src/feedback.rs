//! What people say of runs: `enact annotate` (a label, a score, a note on a
//! run or one of its events) and `enact expect` (this run's output is the
//! right one; `expect run` checks every saved one against the components
//! their names point at now). Both are records of their own beside the
//! invocation, which never changes.

use serde_json::{Value, json};

use super::Status;
use crate::Io;
use crate::check::{Target, verdict};
use crate::{noteln, outln};
use enact_core::feedback::{Annotation, Expectation};
use enact_core::record::Outcome;
use enact_runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct AnnotateArgs {
    /// An invocation: its id or a unique prefix, `last`, or a component's name (its latest invocation)
    invocation: String,
    /// The event the annotation is about (an index of the root's journal); the whole run if left out
    #[arg(long, value_name = "K")]
    event: Option<u64>,
    /// A short word: good, wrong-tool, hallucination…
    #[arg(long)]
    label: String,
    /// A number, for ranking and datasets
    #[arg(long, value_name = "X")]
    score: Option<f64>,
    /// Free text
    #[arg(long)]
    note: Option<String>,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn annotate(rt: &Runtime, io: &mut Io, args: AnnotateArgs) -> anyhow::Result<Status> {
    let id = rt.resolve_invocation(&args.invocation)?;
    let inv = rt.load(&id)?;
    if rt.storage().read()?.invocation::<Value>(&id)?.is_none() {
        anyhow::bail!(
            "{} is a child invocation, sealed in its caller's journal; hint: annotate the tree's root with `--event` naming the child's event",
            id.short()
        );
    }
    if let Some(event) = args.event
        && event >= inv.record.events
    {
        anyhow::bail!("there is no event {event}: the journal holds {} events, numbered from 0", inv.record.events);
    }
    if args.score.is_some_and(|s| !s.is_finite()) {
        anyhow::bail!("a score is a finite number");
    }
    let annotation =
        Annotation { event: args.event, label: args.label, score: args.score, note: args.note, created_ms: now_ms() };
    rt.storage().write(|w| w.put_annotation(&id, &annotation))?;
    if args.json {
        outln!(io, "{}", json!({"invocation": id, "annotation": annotation}));
    } else {
        let on = annotation.event.map_or(String::new(), |e| format!(" (event #{e})"));
        noteln!(io, "annotated {}{on}: {}", id.short(), annotation.label);
    }
    Ok(Status::Completed)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(super) struct ExpectArgs {
    #[command(subcommand)]
    command: Option<ExpectCommand>,
    /// The invocation whose output is the expected one
    invocation: Option<String>,
    /// The expectation's name [default: the component's name and the invocation's short id]
    #[arg(long)]
    name: Option<String>,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum ExpectCommand {
    /// Replay every saved expectation on the component its name points at now
    #[command(after_help = "Examples:\n  enact expect run\n  enact expect run --json")]
    Run {
        /// Print one JSON object on stdout
        #[arg(long)]
        json: bool,
    },
    /// List the saved expectations
    #[command(after_help = "Examples:\n  enact expect ls\n  enact expect ls --json")]
    Ls {
        /// Print one JSON array on stdout
        #[arg(long)]
        json: bool,
    },
    /// Forget an expectation
    #[command(after_help = "Examples:\n  enact expect rm three-dice")]
    Rm {
        /// Its name
        name: String,
        /// Print one JSON object on stdout
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn expect(rt: &Runtime, io: &mut Io, args: ExpectArgs) -> anyhow::Result<Status> {
    match args.command {
        Some(ExpectCommand::Run { json }) => return run_expectations(rt, io, json),
        Some(ExpectCommand::Ls { json }) => return list(rt, io, json),
        Some(ExpectCommand::Rm { name, json }) => {
            if !rt.storage().write(|w| w.remove_expectation(&name))? {
                anyhow::bail!("no expectation `{name}`; hint: `enact expect ls` lists them");
            }
            if json {
                outln!(io, "{}", json!({"removed": name}));
            } else {
                noteln!(io, "removed expectation `{name}`");
            }
            return Ok(Status::Completed);
        }
        None => {}
    }
    let Some(target) = args.invocation else {
        anyhow::bail!("name the invocation whose output is expected; hint: `enact expect last`, or `enact expect run`");
    };
    let id = rt.resolve_invocation(&target)?;
    let inv = rt.load(&id)?;
    let Outcome::Completed { output } = inv.record.outcome else {
        anyhow::bail!(
            "{} is {}: only a completed run's output can be expected",
            id.short(),
            inv.record.outcome.status()
        );
    };
    if rt.storage().read()?.invocation::<Value>(&id)?.is_none() {
        anyhow::bail!("{} is a child invocation; hint: expect the output of its tree's root", id.short());
    }
    // The name that points at the component now, the one it gives itself first.
    let own = rt.component_name(&inv.record.component);
    let names = rt.storage().read()?.names()?;
    let bound: Vec<&String> = names.iter().filter(|(_, d)| *d == inv.record.component).map(|(n, _)| n).collect();
    let component = match bound.iter().find(|n| **n == &own).or(bound.first()) {
        Some(name) => (*name).clone(),
        None => anyhow::bail!(
            "no name points at {}'s component; hint: `enact name NAME {}` names it, and `expect run` follows the name",
            id.short(),
            inv.record.component.short()
        ),
    };
    let name = args.name.unwrap_or_else(|| format!("{component}-{}", &id.short()[..8]));
    let expectation = Expectation { invocation: id, target: component, output, created_ms: now_ms() };
    rt.storage().write(|w| w.set_expectation(&name, &expectation))?;
    if args.json {
        outln!(io, "{}", json!({"name": name, "expectation": expectation}));
    } else {
        noteln!(
            io,
            "expecting {}'s output of `{}` as `{name}`; hint: `enact expect run` checks it",
            id.short(),
            expectation.target
        );
    }
    Ok(Status::Completed)
}

fn list(rt: &Runtime, io: &mut Io, json: bool) -> anyhow::Result<Status> {
    let saved: Vec<(String, Expectation)> = rt.storage().read()?.expectations()?;
    if json {
        let rows: Vec<Value> = saved.iter().map(|(name, e)| json!({"name": name, "expectation": e})).collect();
        outln!(io, "{}", Value::Array(rows));
    } else {
        for (name, e) in &saved {
            outln!(io, "{name}\t{}\t{}", e.target, e.invocation.short());
        }
    }
    Ok(Status::Completed)
}

/// Replays each saved expectation on what its target name points at now.
fn run_expectations(rt: &Runtime, io: &mut Io, json: bool) -> anyhow::Result<Status> {
    let saved: Vec<(String, Expectation)> = rt.storage().read()?.expectations()?;
    let mut results = Vec::new();
    for (name, e) in saved {
        let now = rt.resolve_component(&e.target);
        let mut result = match &now {
            Ok(component) => {
                verdict(rt, &e.invocation, Some(e.output), &Target { component: *component, config: None })
            }
            Err(error) => json!({"result": "failed", "message": format!("`{}` names nothing now: {error}", e.target)}),
        };
        result["name"] = json!(name);
        result["invocation"] = json!(e.invocation);
        result["target"] = json!(e.target);
        result["component"] = json!(now.ok());
        results.push(result);
    }
    // The output is what is expected; a shorter journal to it is no change.
    let changed = results.iter().filter(|r| !matches!(r["result"].as_str(), Some("identical" | "same-output"))).count();
    if json {
        outln!(io, "{}", json!({"results": results, "changed": changed}));
    } else {
        for r in &results {
            let how = match r["result"].as_str().unwrap_or_default() {
                "identical" => "as expected".to_string(),
                "diverged" => format!("changed: diverged at event #{}", r["event"]),
                "different-output" => format!("changed: the output is {}", r["output"].as_str().unwrap_or_default()),
                "same-output" => "the same output, a shorter journal".to_string(),
                _ => format!("failed: {}", r["message"].as_str().unwrap_or_default()),
            };
            outln!(
                io,
                "{}\t{}\t{how}",
                r["name"].as_str().unwrap_or_default(),
                r["target"].as_str().unwrap_or_default()
            );
        }
        let n = results.len();
        noteln!(io, "{n} {}, {changed} changed", if n == 1 { "expectation" } else { "expectations" });
    }
    Ok(if changed > 0 { Status::Failed } else { Status::Completed })
}
