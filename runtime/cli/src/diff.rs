//! `enact diff A [B] [--json]`: where two invocations part (with one, a
//! fork and the run it went on from). The first event
//! whose request or response differs (two events are the same when they
//! asked for the same thing and got the same answer), then how their
//! outcomes and children differ. Exit 0 when they are the same, 1 when not.

use serde_json::{Value, json};

use super::Status;
use crate::Io;
use crate::outln;
use enact_core::event::{ChildResult, Event};
use enact_core::value::Digest;
use enact_runtime::Runtime;
use enact_store::Reader;
use enact_store::load::{self, Opened};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The first invocation: its id or a unique prefix, `last`, or a component's name (its latest invocation)
    a: String,
    /// The second invocation [default: the one the first was forked from]
    b: Option<String>,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let a = rt.resolve_invocation(&args.a)?;
    let (a, b) = match &args.b {
        Some(b) => (a, rt.resolve_invocation(b)?),
        // The run it was forked from first: what the fork changed reads left to right.
        None => match rt.load(&a)?.record.parent {
            Some(parent) => (parent, a),
            None => anyhow::bail!(
                "{} was not forked from another run; hint: name two invocations, `enact diff A B`",
                a.short()
            ),
        },
    };
    let reader = rt.storage().read()?;
    let (a, b) = (load::open(&reader, &a)?, load::open(&reader, &b)?);
    let diff = compare(&reader, &a, &b)?;
    if args.json {
        outln!(io, "{diff}");
    } else {
        print(io, &diff);
    }
    Ok(if diff["same"] == true { Status::Completed } else { Status::Failed })
}

/// The comparison of `a` and `b`, as `--json` prints it.
pub(crate) fn compare(reader: &Reader, a: &Opened, b: &Opened) -> anyhow::Result<Value> {
    let (ja, jb) = (&a.journal, &b.journal);
    let first = (0..ja.len().max(jb.len())).find(|&i| match (ja.get(i), jb.get(i)) {
        (Some(x), Some(y)) => x.to_json() != y.to_json(),
        _ => true,
    });
    let side = |event: Option<&Event>| -> anyhow::Result<Value> {
        Ok(match event {
            None => json!({"request": null, "response": "(the journal ends)"}),
            Some(event) => json!({"request": event.request().to_string(), "response": shown(reader, event)?}),
        })
    };
    let divergence = match first {
        None => Value::Null,
        Some(i) => json!({"index": i, "a": side(ja.get(i))?, "b": side(jb.get(i))?}),
    };
    let outcome = |o: &Opened| -> anyhow::Result<Value> {
        let record = &o.invocation.record;
        let mut v = json!({"status": record.outcome.status()});
        match &record.outcome {
            enact_core::record::Outcome::Completed { output } => v["output"] = load::json(reader, output)?,
            enact_core::record::Outcome::Failed { error } => v["error"] = json!(error.to_string()),
            enact_core::record::Outcome::Trapped { reason, .. } => v["error"] = json!(reason),
            _ => {}
        }
        Ok(v)
    };
    let (oa, ob) = (outcome(a)?, outcome(b)?);
    let same_outcome = oa == ob;
    let children = children_diff(ja, jb);
    let same = first.is_none() && same_outcome && a.invocation.record.invokable == b.invocation.record.invokable;
    Ok(json!({
        "a": a.invocation.id, "b": b.invocation.id,
        "same": same,
        "same_invokable": a.invocation.record.invokable == b.invocation.record.invokable,
        "events": {"a": ja.len(), "b": jb.len()},
        "first_divergence": divergence,
        "outcomes": {"a": oa, "b": ob, "same": same_outcome},
        "children": children,
    }))
}

/// An event's response as `show` words it: a completion's text, an answer's value.
fn shown(reader: &Reader, event: &Event) -> anyhow::Result<String> {
    Ok(match event {
        Event::Llm(call) => match &call.result {
            Ok(completion) => format!("{} ({})", load::json(reader, completion)?["text"], call.provider),
            Err(failure) => format!("{failure} ({})", call.provider),
        },
        Event::Input(call) => format!("{} ({})", load::json(reader, &call.answer)?, call.by),
        Event::Invoke(call) => match &call.result {
            ChildResult::Completed(output) => format!("{} = {}", call.target, load::json(reader, output)?),
            _ => format!("{}: {}", call.target, event.response_text()),
        },
        _ => event.response_text(),
    })
}

/// The children of two journals, paired by event index: the same target at
/// the same index with another child or result is `changed`; a child only
/// one journal has at its index is `removed` (only `a`'s) or `added` (only `b`'s).
fn children_diff(a: &[Event], b: &[Event]) -> Value {
    let child = |events: &[Event], i: usize| match events.get(i) {
        Some(Event::Invoke(call)) => Some(call.clone()),
        _ => None,
    };
    let id = |c: &enact_core::event::ChildCall| c.child.map(|d: Digest| d.to_string());
    let (mut added, mut removed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..a.len().max(b.len()) {
        match (child(a, i), child(b, i)) {
            (Some(x), Some(y)) if x.target == y.target => {
                if x.child != y.child || x.result != y.result {
                    changed.push(json!({"event": i, "target": x.target, "a": id(&x), "b": id(&y)}));
                }
            }
            (x, y) => {
                if let Some(x) = x {
                    removed.push(json!({"event": i, "target": x.target, "child": id(&x)}));
                }
                if let Some(y) = y {
                    added.push(json!({"event": i, "target": y.target, "child": id(&y)}));
                }
            }
        }
    }
    json!({"added": added, "removed": removed, "changed": changed})
}

fn print(io: &mut Io, diff: &Value) {
    let short =
        |v: &Value| v.as_str().unwrap_or_default().trim_start_matches("sha256:").chars().take(12).collect::<String>();
    let (a, b) = (short(&diff["a"]), short(&diff["b"]));
    if diff["same"] == true {
        outln!(io, "{a} and {b}: the same journal ({} events) and outcome", diff["events"]["a"]);
        return;
    }
    if diff["same_invokable"] == false {
        outln!(io, "{a} and {b} ran different invokables");
    }
    match diff["first_divergence"].as_object() {
        None => outln!(io, "the journals agree ({} events)", diff["events"]["a"]),
        Some(d) => {
            let request = |side: &Value| side["request"].as_str().map_or("nothing".to_string(), |r| format!("`{r}`"));
            outln!(io, "first divergent event: #{}", d["index"]);
            outln!(io, "  {a}: {} -> {}", request(&d["a"]), d["a"]["response"].as_str().unwrap_or_default());
            outln!(io, "  {b}: {} -> {}", request(&d["b"]), d["b"]["response"].as_str().unwrap_or_default());
            outln!(io, "events: {} in {a}, {} in {b}", diff["events"]["a"], diff["events"]["b"]);
        }
    }
    let outcome = |o: &Value| match o.get("output") {
        Some(output) => format!("{} {output}", o["status"].as_str().unwrap_or_default()),
        None => format!("{} {}", o["status"].as_str().unwrap_or_default(), o["error"].as_str().unwrap_or_default()),
    };
    if diff["outcomes"]["same"] == true {
        outln!(io, "outcome: the same, {}", outcome(&diff["outcomes"]["a"]));
    } else {
        outln!(io, "outcome: {a} {}", outcome(&diff["outcomes"]["a"]));
        outln!(io, "         {b} {}", outcome(&diff["outcomes"]["b"]));
    }
    for (kind, word) in [("changed", "changed"), ("removed", "only in the first"), ("added", "only in the second")] {
        for c in diff["children"][kind].as_array().into_iter().flatten() {
            outln!(io, "child at #{} `{}`: {word}", c["event"], c["target"].as_str().unwrap_or_default());
        }
    }
}
