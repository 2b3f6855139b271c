//! `enact explore TARGET --score SCORE --budget N [--at random|llm|input|all]`:
//! Monte Carlo Tree Search (UCT) over the executions of an invokable.
//!
//! A decision is an event where the run received a sampled value: a random
//! draw, an LLM completion, or an answer to a request whose schema lists its
//! answers (an `enum`, a boolean, a small integer range). A node of the
//! search tree is a run with its first `depth` decisions fixed; expanding it
//! forks that run just before decision `depth` (the journal before it is
//! served as recorded, so nothing before it runs live again: no model is
//! asked twice) and goes on live, re-sampling that decision and all after
//! it. Every rollout is an ordinary stored invocation whose parent is the run
//! it forked, so the store holds the whole tree, each fork sharing its
//! parent's journal chunks up to the fork.
//!
//! Selection is UCT for a single player: a child's value is the best score
//! found under it (scores scaled to [0, 1] by the worst and best seen) plus
//! `C·sqrt(ln(parent visits) / visits)`. Progressive widening bounds the
//! children of a node to `ceil(sqrt(visits))`, since a random draw has more
//! outcomes than any budget; a node none of whose children has yet done
//! better than its own run keeps trying new values for its decision, up to
//! five times that bound. Runs that made every decision are leaves. On a
//! guest that picks 5 digits against a hidden code (`guests/rust/digits`),
//! this finds the code within 200 runs for 99 of 100 seeds, in about 65 runs
//! (one in 100,000 independent runs finds it). The search is deterministic
//! for deterministic live values (`ENACT_SEED`): ties go to the older node.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Status;
use crate::Io;
use crate::{noteln, outln};
use enact_core::answer::{Answer, Answerer, InputRequest, NoAnswers};
use enact_core::event::Event;
use enact_core::record::{Invocation, Outcome};
use enact_core::value::Digest;
use enact_runtime::{Call, ReplayOptions, Runtime};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// What to explore: a component's name, id or unique prefix, or a named invokable
    target: String,
    /// The config, as JSON
    #[arg(long)]
    config: Option<String>,
    /// The input, as JSON
    #[arg(long)]
    input: Option<String>,
    /// How a run scores: a JSON Pointer into its output (`/score`), or a scorer component invoked on the output
    #[arg(long, value_name = "SCORER")]
    score: String,
    /// How many runs to make, the first one included
    #[arg(long, value_name = "N")]
    budget: usize,
    /// Which sampled values are decisions to search over
    #[arg(long, default_value = "random", value_parser = ["random", "llm", "input", "all"])]
    at: String,
    /// UCT's exploration constant
    #[arg(long, default_value_t = 0.2, value_name = "C")]
    exploration: f64,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

/// One node: `run` with its first `depth` decisions fixed.
struct Node {
    run: Digest,
    /// The event indices of `run`'s decisions.
    decisions: Vec<usize>,
    /// How many LLM completions `run` received before each decision.
    completions_before: Vec<u64>,
    depth: usize,
    score: f64,
    visits: u32,
    /// The best score of a run under this node (its own included).
    best: f64,
    children: Vec<usize>,
}

impl Node {
    /// A decision is left to re-sample.
    fn open(&self) -> bool {
        self.decisions.len() > self.depth
    }
}

/// How a run is scored.
enum Scorer {
    Pointer(String),
    Component(Digest),
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    if args.budget == 0 {
        anyhow::bail!("a budget of 0 runs explores nothing; hint: `--budget 200`");
    }
    let target = crate::check::resolve(rt, io, &args.target)?;
    let config = match (args.config, target.config) {
        (Some(_), Some(_)) => anyhow::bail!("`{}` names an invokable with a config of its own", args.target),
        (Some(config), None) => config,
        (None, Some(config)) => config.to_string(),
        (None, None) => "{}".to_string(),
    };
    let scorer = match args.score.strip_prefix('/').map(|_| args.score.clone()) {
        Some(pointer) => Scorer::Pointer(pointer),
        None => Scorer::Component(rt.resolve_component(&args.score)?),
    };
    let decision = decision_kind(&args.at);
    let mut search = Search { rt, scorer, decision, answers: EnumAnswers::new(0x5eed), llm_saved: 0, reused: 0 };

    let first = rt.invoke(
        Call::new(target.component)
            .config(&config)
            .input(args.input.as_deref().unwrap_or("null"))
            .answerer(Box::new(search.answers.clone())),
    )?;
    let mut nodes = vec![search.node(&first, 0)?];
    let mut rollouts = 0;
    // Each round forks one run; a first run with no decision has nothing to explore.
    while rollouts + 1 < args.budget && nodes[0].open() {
        let mut path = vec![0];
        let leaf = loop {
            let n = *path.last().expect("a path from the root");
            let node = &nodes[n];
            let open: Vec<usize> = node.children.iter().copied().filter(|&c| nodes[c].open()).collect();
            let improved: Vec<usize> = open.iter().copied().filter(|&c| nodes[c].best > node.score).collect();
            let widen = f64::from(node.visits.max(1)).sqrt().ceil() as usize;
            let room = node.children.len() < widen || (improved.is_empty() && node.children.len() < 5 * widen);
            if room || open.is_empty() {
                break n;
            }
            let pool = if improved.is_empty() { open } else { improved };
            path.push(uct(&nodes, n, &pool, args.exploration));
        };
        let depth = nodes[leaf].depth;
        let child = search.fork(&nodes[leaf])?;
        rollouts += 1;
        let node = search.node(&child, depth + 1)?;
        let score = node.score;
        nodes.push(node);
        let id = nodes.len() - 1;
        nodes[leaf].children.push(id);
        path.push(id);
        for &n in &path {
            nodes[n].visits += 1;
            nodes[n].best = nodes[n].best.max(score);
        }
    }

    let best =
        nodes.iter().enumerate().max_by(|(i, a), (j, b)| a.score.total_cmp(&b.score).then(j.cmp(i))).map(|(_, n)| n);
    let best = best.expect("the first run is a node");
    let depth = nodes.iter().map(|n| n.depth).max().unwrap_or(0);
    let output = match rt.load(&best.run)?.record.outcome {
        Outcome::Completed { output } => enact_store::load::json(&rt.storage().read()?, &output)?,
        _ => Value::Null,
    };
    let summary = json!({
        "best": {"invocation": best.run, "score": best.score, "output": output},
        "runs": rollouts + 1,
        "nodes": nodes.len(),
        "depth": depth,
        "root": {"invocation": first.id, "score": nodes[0].score},
        "llm_calls_reused": search.llm_saved,
        "events_reused": search.reused,
    });
    if args.json {
        outln!(io, "{summary}");
    } else {
        outln!(io, "{output}");
        noteln!(
            io,
            "best: invocation {} scored {} (the first run scored {})",
            best.run.short(),
            best.score,
            nodes[0].score
        );
        noteln!(
            io,
            "explored {} runs: {} nodes, {} decisions deep; {} events and {} LLM completions reused from journals instead of sampled again",
            rollouts + 1,
            nodes.len(),
            depth,
            search.reused,
            search.llm_saved
        );
        noteln!(
            io,
            "  next: `enact show {}`, `enact diff {} {}`",
            best.run.short(),
            first.id.short(),
            best.run.short()
        );
    }
    Ok(Status::Completed)
}

/// The node of `pool` (children of `n`) with the highest UCT value; the
/// older one on a tie.
fn uct(nodes: &[Node], n: usize, pool: &[usize], exploration: f64) -> usize {
    let (low, high) =
        nodes.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), n| (l.min(n.score), h.max(n.score)));
    let scale = if high > low { high - low } else { 1.0 };
    let parent = f64::from(nodes[n].visits.max(1)).ln();
    let value = |c: usize| {
        let child = &nodes[c];
        let visits = f64::from(child.visits.max(1));
        (child.best - low) / scale + exploration * (parent / visits).sqrt()
    };
    let mut best = pool[0];
    for &c in &pool[1..] {
        if value(c) > value(best) {
            best = c;
        }
    }
    best
}

fn decision_kind(at: &str) -> fn(&Event) -> bool {
    fn random(e: &Event) -> bool {
        matches!(
            e,
            Event::RandomU64 { .. }
                | Event::RandomFill { .. }
                | Event::WasiRandom { .. }
                | Event::WasiInsecureRandom { .. }
                | Event::WasiRandomReads(_)
                | Event::WasiInsecureSeed { .. }
        )
    }
    fn llm(e: &Event) -> bool {
        matches!(e, Event::Llm(_))
    }
    fn input(e: &Event) -> bool {
        matches!(e, Event::Input(_))
    }
    fn all(e: &Event) -> bool {
        random(e) || llm(e) || input(e)
    }
    match at {
        "llm" => llm,
        "input" => input,
        "all" => all,
        _ => random,
    }
}

struct Search<'a> {
    rt: &'a Runtime,
    scorer: Scorer,
    decision: fn(&Event) -> bool,
    answers: EnumAnswers,
    llm_saved: u64,
    reused: u64,
}

impl Search<'_> {
    /// A node for `inv` with its first `depth` decisions fixed, and its score.
    fn node(&mut self, inv: &Invocation, depth: usize) -> anyhow::Result<Node> {
        let journal = self.rt.journal_of(&inv.record)?;
        let mut decisions: Vec<usize> =
            journal.iter().enumerate().filter(|(_, e)| (self.decision)(e)).map(|(i, _)| i).collect();
        // An answer is a decision only when its request lists the answers.
        if decisions.iter().any(|&i| matches!(journal[i], Event::Input(_))) {
            let reader = self.rt.storage().read()?;
            decisions.retain(|&i| match &journal[i] {
                Event::Input(call) => {
                    let request: Option<InputRequest> =
                        reader.blob(&call.request).ok().and_then(|b| serde_json::from_slice(&b).ok());
                    request.is_some_and(|r| r.schema.as_ref().is_some_and(|s| !choices(s).is_empty()))
                }
                _ => true,
            });
        }
        let completions_before = decisions
            .iter()
            .map(|&at| journal[..at].iter().filter(|e| matches!(e, Event::Llm(_))).count() as u64)
            .collect();
        let score = self.score(inv)?;
        Ok(Node {
            run: inv.id,
            decisions,
            completions_before,
            depth,
            score,
            visits: 0,
            best: score,
            children: Vec::new(),
        })
    }

    /// Forks `node`'s run just before its decision `depth`, re-sampling from there.
    fn fork(&mut self, node: &Node) -> anyhow::Result<Invocation> {
        let at = node.decisions[node.depth];
        self.reused += at as u64;
        self.llm_saved += node.completions_before[node.depth];
        let run = &node.run;
        let options = ReplayOptions {
            go_live_at: Some(at as u64),
            answerer: Box::new(self.answers.clone()),
            ..ReplayOptions::default()
        };
        Ok(self.rt.replay_with(run, options)?.invocation)
    }

    /// A run's score: a number its output holds, or its scorer's output;
    /// a run that did not complete, or whose output holds no number there, scores 0.
    fn score(&mut self, inv: &Invocation) -> anyhow::Result<f64> {
        let Some(output) = &inv.output.clone().or_else(|| self.output_of(inv)) else { return Ok(0.0) };
        let number = match &self.scorer {
            Scorer::Pointer(pointer) => output.pointer(pointer).and_then(Value::as_f64),
            Scorer::Component(scorer) => {
                let scored = self.rt.invoke(Call::new(*scorer).input(&output.to_string()))?;
                scored.output.as_ref().and_then(Value::as_f64)
            }
        };
        Ok(number.unwrap_or(0.0))
    }

    fn output_of(&self, inv: &Invocation) -> Option<Value> {
        let Outcome::Completed { output } = &inv.record.outcome else { return None };
        enact_store::load::json(&self.rt.storage().read().ok()?, output).ok()
    }
}

/// The answers a JSON Schema lists: an `enum`, `true`/`false`, or a
/// `minimum`–`maximum` range of at most 100 integers; none otherwise.
fn choices(schema: &Value) -> Vec<Value> {
    if let Some(values) = schema["enum"].as_array() {
        return values.clone();
    }
    match schema["type"].as_str() {
        Some("boolean") => vec![json!(true), json!(false)],
        Some("integer") => match (schema["minimum"].as_i64(), schema["maximum"].as_i64()) {
            (Some(low), Some(high)) if high >= low && high - low < 100 => (low..=high).map(|n| json!(n)).collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Answers a request whose schema lists its answers with one of them,
/// drawn from a fixed sequence (so a search repeats); declines any other.
#[derive(Clone)]
struct EnumAnswers {
    state: Arc<std::sync::atomic::AtomicU64>,
}

impl EnumAnswers {
    fn new(seed: u64) -> EnumAnswers {
        EnumAnswers { state: Arc::new(std::sync::atomic::AtomicU64::new(seed)) }
    }

    /// The next number of a splitmix64 sequence.
    fn next(&self) -> u64 {
        let x = self.state.fetch_add(0x9e37_79b9_7f4a_7c15, std::sync::atomic::Ordering::Relaxed);
        let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl Answerer for EnumAnswers {
    fn answer(&mut self, request: &InputRequest) -> Result<Option<Answer>, String> {
        let choices = request.schema.as_ref().map(choices).unwrap_or_default();
        if choices.is_empty() {
            return NoAnswers.answer(request);
        }
        let value = choices[(self.next() % choices.len() as u64) as usize].clone();
        Ok(Some(Answer { value, by: "explore".into() }))
    }
}
