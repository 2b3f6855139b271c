//! `enact flow run|steps|fork|graph|check`: flows (state machines and LLM
//! dialogues as TOML or JSON files) run as invocations of the flow
//! interpreter component, which this binary carries and adds to a store on
//! first use. A run's steps are the step marks of its journal.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Map, Value, json};

use super::answers::AnswerArgs;
use super::limits::LimitArgs;
use super::{Status, output};
use crate::Io;
use crate::{noteln, outln};
use enact_core::event::Event;
use enact_core::record::{Invocation, Outcome};
use enact_core::value::Digest;
use enact_flow::Flow;
use enact_flow::load::Loaded;
use enact_runtime::{Call, ReplayOptions, Runtime};

/// The flow interpreter component (`guests/rust/flow`), as `make` built it.
static INTERPRETER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/flow.wasm"));

#[derive(Debug, clap::Subcommand)]
pub(super) enum Command {
    /// Run a flow to its end, or until it asks for input no one gives (exit 3; `enact resume` goes on)
    #[command(
        after_help = "Examples:\n  enact flow run examples/flows/counter.toml --json\n  enact flow run examples/flows/chatbot.toml --llm scripted:answers.json --answers '[\"hi\"]'\n  enact flow run examples/flows/counter.toml --state '{\"count\": 5}' --halt-after increment"
    )]
    Run(RunArgs),
    /// List the steps of a flow run: what each read and wrote, the state's change, the time it took
    #[command(after_help = "Examples:\n  enact flow steps last\n  enact flow steps 51f409e66037 --json")]
    Steps(StepsArgs),
    /// Run a flow again from the state after step N, optionally edited: steps 0..=N are not run again
    #[command(
        after_help = "Examples:\n  enact flow fork last --step 2\n  enact flow fork last --step 0 --set 'count=7'"
    )]
    Fork(ForkArgs),
    /// Print a flow as a graph: Graphviz dot or Mermaid
    #[command(
        after_help = "Examples:\n  enact flow graph examples/flows/chatbot.toml | dot -Tsvg > chatbot.svg\n  enact flow graph examples/flows/counter.toml --format mermaid"
    )]
    Graph(GraphArgs),
    /// Check a flow: unknown or unreachable steps, bad guards and templates, undeclared writes, reads of keys nothing writes
    #[command(after_help = "Examples:\n  enact flow check examples/flows/chatbot.toml")]
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub(super) struct RunArgs {
    /// The flow: a .toml file, or JSON
    file: PathBuf,
    /// Keys merged over the flow's initial state, as a JSON object
    #[arg(long, value_name = "JSON")]
    state: Option<String>,
    #[command(flatten)]
    answers: AnswerArgs,
    /// Stop before running this step (may be repeated)
    #[arg(long, value_name = "STEP")]
    halt_before: Vec<String>,
    /// Stop after running this step (may be repeated)
    #[arg(long, value_name = "STEP")]
    halt_after: Vec<String>,
    #[command(flatten)]
    limits: LimitArgs,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub(super) struct StepsArgs {
    /// A flow run: its id or a unique prefix, or `last`
    invocation: String,
    /// Print the steps as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub(super) struct ForkArgs {
    /// A flow run: its id or a unique prefix, or `last`
    invocation: String,
    /// The step (its number in `enact flow steps`) whose state the new run goes on from
    #[arg(long, value_name = "N")]
    step: u64,
    /// Set a state key before going on: KEY=JSON (a bare word is a string); may be repeated
    #[arg(long = "set", value_name = "KEY=JSON")]
    sets: Vec<String>,
    #[command(flatten)]
    answers: AnswerArgs,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub(super) struct GraphArgs {
    /// The flow
    file: PathBuf,
    /// `dot` (Graphviz) or `mermaid`
    #[arg(long, default_value = "dot", value_parser = ["dot", "mermaid"])]
    format: String,
    /// Print one JSON object on stdout: the format and the graph's text
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub(super) struct CheckArgs {
    /// The flow
    file: PathBuf,
    /// Print the problems as JSON
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, command: Command) -> anyhow::Result<Status> {
    match command {
        Command::Run(args) => run_flow(rt, io, args),
        Command::Steps(args) => steps(rt, io, args),
        Command::Fork(args) => fork(rt, io, args),
        Command::Graph(args) => graph(io, args),
        Command::Check(args) => check(io, args),
    }
}

/// The interpreter's id: flows run as children are calls of it.
fn interpreter_id() -> Digest {
    Digest::of(INTERPRETER)
}

/// The interpreter's id in `rt`'s store, added first if it is not there.
pub(super) fn interpreter(rt: &Runtime) -> anyhow::Result<Digest> {
    if INTERPRETER.is_empty() {
        anyhow::bail!(
            "this enact was built without its flow interpreter; hint: `make build` builds target/guests/rust/flow.wasm first, then enact with it"
        );
    }
    let digest = interpreter_id();
    if rt.component_info(&digest)?.is_none() {
        rt.add(INTERPRETER, None).context("cannot add the flow interpreter")?;
    }
    Ok(digest)
}

/// Whether `id` names a component that is a flow interpreter (this one or an older one).
fn is_interpreter(rt: &Runtime, component: &Digest) -> bool {
    rt.component_info(component).ok().flatten().is_some_and(|info| info.metadata.name == "flow")
}

/// Reads `path` and checks it: each problem is an error with its line.
pub(super) fn load_checked(path: &Path) -> anyhow::Result<Loaded> {
    let loaded = enact_flow::load::load(path, Some(&interpreter_id().hex()))?;
    let problems = enact_flow::check::check(&loaded.flow);
    if !problems.is_empty() {
        let lines: Vec<String> = problems.iter().map(|p| format!("  {}", loaded.describe(p))).collect();
        anyhow::bail!(
            "`{}` has {} {}:\n{}\n  hint: `enact flow check {}` lists them again",
            path.display(),
            problems.len(),
            if problems.len() == 1 { "problem" } else { "problems" },
            lines.join("\n"),
            path.display()
        );
    }
    Ok(loaded)
}

/// The `--state` option: a JSON object, or none.
pub(super) fn state_arg(text: Option<&str>) -> anyhow::Result<Map<String, Value>> {
    let Some(text) = text else { return Ok(Map::new()) };
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => anyhow::bail!("--state must be a JSON object, got {other}"),
        Err(e) => anyhow::bail!(
            "--state is not valid JSON: {e}; hint: quote it for the shell, as in --state '{{\"count\": 3}}'"
        ),
    }
}

fn run_flow(rt: &Runtime, io: &mut Io, args: RunArgs) -> anyhow::Result<Status> {
    let loaded = load_checked(&io.path(&args.file))?;
    let component = interpreter(rt)?;
    let mut input = json!({ "state": state_arg(args.state.as_deref())? });
    for (key, steps) in [("halt_before", &args.halt_before), ("halt_after", &args.halt_after)] {
        for step in steps {
            if !loaded.flow.step.contains_key(step) {
                anyhow::bail!("--{}: the flow has no step `{step}`", key.replace('_', "-"));
            }
        }
        if !steps.is_empty() {
            input[key] = json!(steps);
        }
    }
    let call = Call::new(component)
        .config(&loaded.flow.to_json())
        .input(&input.to_string())
        .answerer(args.answers.answerer(rt, io)?)
        .limits(args.limits.apply(rt.limits().clone())?);
    let inv = crate::progress::watched(io, args.json, |observer| rt.invoke(call.observer(observer)))?;
    print_run(rt, io, &inv, args.json, 0)
}

/// Prints a flow run: the dialogue from message `from` on, the final state, a note.
pub(super) fn print_run(
    rt: &Runtime,
    io: &mut Io,
    inv: &Invocation,
    json: bool,
    from: usize,
) -> anyhow::Result<Status> {
    if json {
        outln!(io, "{}", output::invocation_json(rt, inv)?);
        return Ok(output::status_of(&inv.record.outcome));
    }
    let state = latest_state(rt, inv)?;
    for message in dialogue(&state).iter().skip(from) {
        outln!(io, "{}: {}", message["role"].as_str().unwrap_or("?"), text_of(&message["content"]));
    }
    match (&inv.record.outcome, &inv.output) {
        (Outcome::Completed { .. }, Some(out)) if out["state"].is_object() && out["step"].is_string() => {
            let mut shown = out["state"].clone();
            if let Some(object) = shown.as_object_mut() {
                object.remove(enact_flow::definition::DIALOGUE);
            }
            outln!(io, "{shown}");
            let how = if out["status"] == "halted" { "halted at" } else { "ended at" };
            noteln!(
                io,
                "flow run {} {how} step `{}` after {} steps; hint: `enact flow steps {}` lists them",
                inv.id.short(),
                out["step"].as_str().unwrap_or("?"),
                out["steps"],
                inv.id.short()
            );
            Ok(Status::Completed)
        }
        _ => {
            output::print_invocation(rt, io, inv, false)?;
            Ok(output::status_of(&inv.record.outcome))
        }
    }
}

fn text_of(value: &Value) -> String {
    value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())
}

/// The dialogue in a state.
pub(super) fn dialogue(state: &Value) -> Vec<Value> {
    state[enact_flow::definition::DIALOGUE].as_array().cloned().unwrap_or_default()
}

/// A run's state: its output's, or (a run awaiting input) its last step's.
pub(super) fn latest_state(rt: &Runtime, inv: &Invocation) -> anyhow::Result<Value> {
    if let Some(out) = &inv.output {
        return Ok(out["state"].clone());
    }
    let journal = rt.journal_of(&inv.record)?;
    let last = journal.iter().rev().find_map(|e| match e {
        Event::Step(mark) => serde_json::from_slice(mark.state_after()).ok(),
        _ => None,
    });
    match last {
        Some(state) => Ok(state),
        None => Ok(initial_state(rt, inv)?),
    }
}

/// The config and input of `inv`.
fn config_and_input(rt: &Runtime, inv: &Invocation) -> anyhow::Result<(Value, Value)> {
    let reader = rt.storage().read()?;
    let config = enact_store::load::json(&reader, &inv.record.config)?;
    let input = enact_store::load::json(&reader, &inv.record.input)?;
    Ok((config, input))
}

/// The state a run started with: the flow's initial state and the input's keys.
fn initial_state(rt: &Runtime, inv: &Invocation) -> anyhow::Result<Value> {
    let (config, input) = config_and_input(rt, inv)?;
    let mut state = config["state"].as_object().cloned().unwrap_or_default();
    if let Value::Object(given) = &input["state"] {
        state.extend(given.clone());
    }
    Ok(Value::Object(state))
}

/// The invocation `target` names, with its flow when it is a flow run (any
/// component may mark steps: then there is no flow).
fn marked_run(rt: &Runtime, target: &str) -> anyhow::Result<(Invocation, Option<Flow>)> {
    let id = rt.resolve_invocation(target)?;
    let inv = rt.load(&id)?;
    if !is_interpreter(rt, &inv.record.component) {
        return Ok((inv, None));
    }
    // A component that calls itself `flow` but whose config is no flow marks steps of its own.
    let flow = serde_json::from_value(config_and_input(rt, &inv)?.0).ok();
    Ok((inv, flow))
}

/// One step of a run, as `flow steps` lists it.
struct StepRow {
    seq: usize,
    event: u64,
    name: String,
    reads: Vec<String>,
    writes: Vec<String>,
    diff: Map<String, Value>,
    state: Value,
    micros: Option<u64>,
}

fn step_rows(rt: &Runtime, inv: &Invocation, flow: Option<&Flow>) -> anyhow::Result<Vec<StepRow>> {
    let journal = rt.journal_of(&inv.record)?;
    let mut before = if flow.is_some() { initial_state(rt, inv)? } else { Value::Object(Map::new()) };
    let mut last_at = None;
    let mut rows = Vec::new();
    let mut reads_by_step: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for (index, event) in journal.iter().enumerate() {
        let Event::Step(mark) = event else { continue };
        let after: Value = serde_json::from_slice(mark.state_after()).unwrap_or(Value::Null);
        let mut diff = Map::new();
        let (old, new) =
            (before.as_object().cloned().unwrap_or_default(), after.as_object().cloned().unwrap_or_default());
        for (key, value) in &new {
            if old.get(key) != Some(value) {
                diff.insert(key.clone(), value.clone());
            }
        }
        for key in old.keys().filter(|k| !new.contains_key(*k)) {
            diff.insert(key.clone(), Value::Null);
        }
        // A step's reads follow from its definition: worked out once per step, not per mark.
        let reads = reads_by_step
            .entry(mark.name.clone())
            .or_insert_with(|| flow.and_then(|f| f.step.get(&mark.name)).map(reads_of).unwrap_or_default())
            .clone();
        rows.push(StepRow {
            seq: rows.len(),
            event: index as u64,
            name: mark.name.clone(),
            reads,
            writes: diff.keys().cloned().collect(),
            diff,
            state: after.clone(),
            micros: last_at.map(|t: u64| mark.at_us.saturating_sub(t)),
        });
        last_at = Some(mark.at_us);
        before = after;
    }
    Ok(rows)
}

/// What a step reads: its declared reads, else the names its expressions and templates use.
fn reads_of(step: &enact_flow::definition::Step) -> Vec<String> {
    if let Some(reads) = &step.reads {
        return reads.clone();
    }
    let mut engine = enact_flow::template::Engine::new();
    let mut names = std::collections::BTreeSet::new();
    for (_, expr) in step.expressions() {
        names.extend(engine.names_in_expression(expr).unwrap_or_default());
    }
    for (i, (_, template)) in step.templates().into_iter().enumerate() {
        names.extend(engine.add_template(format!("t{i}"), template.source()).unwrap_or_default());
    }
    names.into_iter().collect()
}

fn steps(rt: &Runtime, io: &mut Io, args: StepsArgs) -> anyhow::Result<Status> {
    let (inv, flow) = marked_run(rt, &args.invocation)?;
    let rows = step_rows(rt, &inv, flow.as_ref())?;
    let name = match &flow {
        Some(flow) => format!("flow `{}`", flow.flow),
        None => format!("`{}`", rt.component_name(&inv.record.component)),
    };
    if rows.is_empty() {
        anyhow::bail!(
            "invocation {} ({name}) marked no steps; hint: a flow run or a component that calls `step.mark` has steps",
            inv.id.short()
        );
    }
    if args.json {
        let list: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({"seq": r.seq, "event": r.event, "step": r.name, "reads": r.reads, "writes": r.writes,
                       "diff": r.diff, "state": r.state, "micros": r.micros})
            })
            .collect();
        let flow = flow.map(|f| f.flow);
        outln!(io, "{}", json!({"invocation": inv.id, "flow": flow, "steps": list}));
        return Ok(Status::Completed);
    }
    outln!(io, "{:>4}  {:<18} {:<22} {:<34} {:>9}", "#", "step", "read", "changed", "took");
    for r in &rows {
        let changed: Vec<String> = r
            .diff
            .iter()
            .map(|(k, v)| if k == enact_flow::definition::DIALOGUE { format!("{k}+") } else { format!("{k}={v}") })
            .collect();
        let took = match r.micros {
            Some(us) if us < 1000 => format!("{us} µs"),
            Some(us) => format!("{:.1} ms", us as f64 / 1000.0),
            None => String::new(),
        };
        outln!(
            io,
            "{:>4}  {:<18} {:<22} {:<34} {:>9}",
            r.seq,
            r.name,
            clip(&r.reads.join(","), 22),
            clip(&changed.join(" "), 34),
            took
        );
    }
    noteln!(io, "{} steps of {name} in invocation {}", rows.len(), inv.id.short());
    Ok(Status::Completed)
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let cut: String = text.chars().take(width - 1).collect();
    format!("{cut}…")
}

fn fork(rt: &Runtime, io: &mut Io, args: ForkArgs) -> anyhow::Result<Status> {
    let (inv, flow) = marked_run(rt, &args.invocation)?;
    let rows = step_rows(rt, &inv, flow.as_ref())?;
    let Some(row) = rows.get(args.step as usize) else {
        anyhow::bail!(
            "invocation {} ran {} steps (0 to {}); there is no step {}",
            inv.id.short(),
            rows.len(),
            rows.len().saturating_sub(1),
            args.step
        );
    };
    let mut state = row.state.clone();
    for set in &args.sets {
        let (key, value) = set.split_once('=').with_context(|| format!("--set `{set}`: expected KEY=JSON"))?;
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        state[key] = value;
    }
    let options = ReplayOptions {
        override_event: Some((row.event, state)),
        answerer: args.answers.answerer(rt, io)?,
        ..ReplayOptions::default()
    };
    let replay = crate::progress::watched(io, args.json, |observer| {
        rt.replay_with(&inv.id, ReplayOptions { observer, ..options })
    })?;
    let forked = replay.invocation;
    if !args.json {
        noteln!(
            io,
            "forked {} after step {} (`{}`): steps 0 to {} were not run again",
            inv.id.short(),
            row.seq,
            row.name,
            row.seq
        );
    }
    print_run(rt, io, &forked, args.json, 0)
}

fn graph(io: &mut Io, args: GraphArgs) -> anyhow::Result<Status> {
    let loaded = enact_flow::load::load(&io.path(&args.file), None)?;
    let format =
        if args.format == "mermaid" { enact_flow::graph::Format::Mermaid } else { enact_flow::graph::Format::Dot };
    let text = enact_flow::graph::render(&loaded.flow, format);
    if args.json {
        outln!(io, "{}", json!({"flow": loaded.flow.flow, "format": args.format, "graph": text}));
    } else {
        crate::out!(io, "{text}");
    }
    Ok(Status::Completed)
}

fn check(io: &mut Io, args: CheckArgs) -> anyhow::Result<Status> {
    let loaded = enact_flow::load::load(&io.path(&args.file), Some(&interpreter_id().hex()))?;
    let problems = enact_flow::check::check(&loaded.flow);
    if args.json {
        let list: Vec<Value> = problems
            .iter()
            .map(|p| {
                let (line, column) = loaded.position(p).unzip();
                json!({"path": p.path(), "message": p.message, "line": line, "column": column})
            })
            .collect();
        outln!(io, "{}", json!({"file": args.file, "flow": loaded.flow.flow, "problems": list}));
    } else {
        for p in &problems {
            outln!(io, "{}", loaded.describe(p));
        }
        if problems.is_empty() {
            noteln!(
                io,
                "flow `{}` is valid: {} steps, {} transitions, identity {}",
                loaded.flow.flow,
                loaded.flow.step.len(),
                loaded.flow.next.len(),
                Digest::of(&enact_core::value::canonicalize(&loaded.flow.to_json())?).short()
            );
        }
    }
    Ok(if problems.is_empty() { Status::Completed } else { Status::Failed })
}
