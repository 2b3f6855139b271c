//! `enact show INVOCATION [--events] [--depth N] [--json]`: the call tree, one
//! line per call, `->name[config](input) = output`, children indented beneath
//! their parent, and with `--events` the journal and log lines of each call.

use crate::Io;
use crate::{out, outln};
use serde_json::Value;

use super::Status;
use enact_core::event::{ChildCall, ChildResult, Event};
use enact_core::record::Outcome;
use enact_core::value::Digest;
use enact_runtime::Runtime;
use enact_store::load::{Opened, Packs};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// An invocation: its id or a unique prefix, `last`, a component's name (its latest invocation), or a cut-off `run:<hex>`
    invocation: String,
    /// List the journal events and captured log lines under each call; with KIND, only events whose request names it (`random`, `clock`, `llm`, `input`, `invoke`)
    #[arg(long, value_name = "KIND", num_args = 0..=1, default_missing_value = "")]
    events: Option<String>,
    /// Show children down to this depth (0: the root alone)
    #[arg(long, value_name = "N")]
    depth: Option<usize>,
    /// Show at most N children under each call [default: 20]
    #[arg(long, value_name = "N")]
    children: Option<usize>,
    /// Print values in full, however long
    #[arg(long)]
    full: bool,
    /// Print the tree as one JSON object on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    if args.invocation.starts_with("run:") {
        return show_run(rt, io, &args);
    }
    let id = rt.resolve_invocation(&args.invocation)?;
    let inv = rt.load(&id)?;
    let reader = rt.storage().read()?;
    let packs = Packs::new(&reader);
    let view = View {
        rt,
        packs: &packs,
        events: args.events.clone(),
        max_depth: args.depth.unwrap_or(usize::MAX),
        max_children: args.children.unwrap_or(20),
        full: args.full,
    };
    if args.json {
        let tree = enact_store::view::tree(&reader, &inv, view.max_depth, view.events.is_some())?;
        outln!(io, "{tree}");
    } else {
        let mut out = String::new();
        view.text(&enact_store::load::open(&reader, &id)?, 0, &mut out)?;
        out!(io, "{out}");
    }
    Ok(Status::Completed)
}

struct View<'a> {
    rt: &'a Runtime,
    /// The packs of the children shown, read once each.
    packs: &'a Packs<'a>,
    /// Show events (those whose request names the kind, if not empty).
    events: Option<String>,
    max_depth: usize,
    max_children: usize,
    full: bool,
}

/// Values longer than this are cut, unless `--full`.
const SHOWN_CHARS: usize = 120;

impl View<'_> {
    fn value(&self, digest: &Digest) -> anyhow::Result<Value> {
        Ok(enact_store::load::json(&self.rt.storage().read()?, digest)?)
    }

    /// A value as JSON text, cut to its first characters with its size
    /// when long: `[5,6,3,… (9.8 KiB)`.
    fn shown(&self, value: &Value) -> String {
        let text = value.to_string();
        if self.full || text.chars().count() <= SHOWN_CHARS {
            return text;
        }
        let head: String = text.chars().take(SHOWN_CHARS).collect();
        format!("{head}… ({})", enact_core::limits::human_bytes(text.len() as u64))
    }

    /// `->name[config](input)`: the config is left out when it is `{}` or
    /// `null`, the input when it is `null`.
    fn label(&self, name: &str, config: &Digest, input: &Digest) -> anyhow::Result<String> {
        let config = self.value(config)?;
        let input = self.value(input)?;
        // A flow run: its config is the flow's whole definition; its name says enough.
        if let (Some(flow), Some(_)) = (config["flow"].as_str(), config["entry"].as_str()) {
            let input = if input.is_null() { String::new() } else { self.shown(&input) };
            return Ok(format!("->{name}:{flow}({input})"));
        }
        // Source run by a runner: its first line stands for it.
        if let Some(source) = config["source"].as_str().filter(|_| config.as_object().is_some_and(|o| o.len() == 1)) {
            let first = source.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
            let first: String = first.chars().take(60).collect();
            let input = if input.is_null() { String::new() } else { self.shown(&input) };
            return Ok(format!("->{name}[{first:?}…]({input})"));
        }
        let empty = config.is_null() || config.as_object().is_some_and(|o| o.is_empty());
        let config = if empty { String::new() } else { format!("[{}]", self.shown(&config)) };
        let input = if input.is_null() { String::new() } else { self.shown(&input) };
        Ok(format!("->{name}{config}({input})"))
    }

    /// One event, for people.
    fn event_line(&self, event: &Event) -> anyhow::Result<String> {
        Ok(match event {
            Event::Invoke(call) => format!("invoke `{}`:", call.target),
            Event::Input(call) => {
                let request = self.value(&call.request)?;
                format!("input {} -> {} ({})", request["prompt"], self.shown(&self.value(&call.answer)?), call.by)
            }
            Event::Step(mark) => format!(
                "step `{}` -> {}",
                mark.name,
                self.shown(&serde_json::from_slice(mark.state_after()).unwrap_or(Value::Null))
            ),
            Event::Llm(call) => match &call.result {
                Ok(completion) => {
                    let completion = self.value(completion)?;
                    format!("llm.complete -> {} ({})", self.shown(&completion["text"]), call.provider)
                }
                Err(failure) => format!("llm.complete -> {failure} ({})", call.provider),
            },
            _ => format!("{} -> {}", event.request(), event.response_text()),
        })
    }

    /// Whether `--events` asks for `event`.
    fn wanted(&self, event: &Event) -> bool {
        match &self.events {
            Some(kind) if kind.is_empty() => true,
            Some(kind) => event.request().to_string().contains(kind.as_str()),
            None => false,
        }
    }

    fn text(&self, opened: &Opened, depth: usize, out: &mut String) -> anyhow::Result<()> {
        let indent = "  ".repeat(depth);
        let inv = &opened.invocation;
        let record = &inv.record;
        let result = match &record.outcome {
            Outcome::Completed { .. } => format!(" = {}", self.shown(&inv.output.clone().unwrap_or(Value::Null))),
            Outcome::Failed { error } => format!(" failed: {error}"),
            Outcome::Trapped { reason, .. } => format!(" trapped: {reason}"),
            Outcome::AwaitingInput { request } => format!(" awaiting input: {}", self.value(request)?["prompt"]),
            Outcome::Incomplete => " incomplete".to_string(),
        };
        let name = self.rt.component_name(&record.component);
        out.push_str(&format!("{indent}{}{result}\n", self.label(&name, &record.config, &record.input)?));
        let logs = if self.events.is_some() { &opened.logs[..] } else { &[] };
        let mut logs = logs.iter().peekable();
        let journal = &opened.journal;
        let (mut children, mut hidden): (usize, Vec<String>) = (0, Vec::new());
        let mut i = 0;
        while i < journal.len() {
            let event = &journal[i];
            // A long run of like events (CPython's start-up entropy, a
            // thousand dice) is one line; a short one is shown event by event.
            const COLLAPSED_FROM: usize = 6;
            let run = match event {
                Event::Invoke(_) | Event::Input(_) | Event::Llm(_) => 1,
                _ => journal[i..].iter().take_while(|e| e.request() == event.request()).count(),
            };
            if self.wanted(event) {
                while let Some(line) = logs.next_if(|l| l.at.is_some_and(|at| at <= i as u64)) {
                    out.push_str(&format!("{indent}    {}: {}\n", line.level, line.message));
                }
                let line = self.event_line(event)?;
                if run >= COLLAPSED_FROM {
                    out.push_str(&format!(
                        "{indent}  #{i}-#{} {} ×{run} (first: {line})\n",
                        i + run - 1,
                        event.request()
                    ));
                } else {
                    out.push_str(&format!("{indent}  #{i} {line}\n"));
                }
            }
            if let Event::Invoke(call) = event {
                if depth >= self.max_depth || children >= self.max_children {
                    hidden.push(call.component.map_or_else(|| call.target.clone(), |c| self.rt.component_name(&c)));
                } else {
                    let start = out.len();
                    self.child_text(call, depth + 1, out)?;
                    if let Some(at) = self.written_by(journal, i, &call.config)? {
                        // On the child's own line: where its source came from.
                        let end = out[start..].find('\n').map_or(out.len(), |n| start + n);
                        out.insert_str(end, &format!(" (written by invocation {}, event #{at})", inv.id.short()));
                    }
                    children += 1;
                }
            }
            i += if self.wanted(event) && run >= COLLAPSED_FROM { run } else { 1 };
        }
        if !hidden.is_empty() {
            let names: std::collections::BTreeSet<&String> = hidden.iter().collect();
            let names: Vec<&str> = names.into_iter().map(String::as_str).collect();
            let why = if depth >= self.max_depth {
                format!("depth limit {}", self.max_depth)
            } else {
                "`--children N` shows more".to_string()
            };
            out.push_str(&format!(
                "{indent}  … {} more {} children not shown ({why})\n",
                hidden.len(),
                names.join(", ")
            ));
        }
        for line in logs {
            out.push_str(&format!("{indent}    {}: {}\n", line.level, line.message));
        }
        Ok(())
    }

    /// The event before `before` whose completion holds the source a child
    /// with `config` ran, for code a model wrote: the child's lineage.
    fn written_by(&self, journal: &[Event], before: usize, config: &Digest) -> anyhow::Result<Option<usize>> {
        let config = self.value(config)?;
        let Some(source) = config["source"].as_str() else { return Ok(None) };
        Ok(enact_store::load::written_by(self.packs.reader(), journal, before, source)?)
    }

    fn child_text(&self, call: &ChildCall, depth: usize, out: &mut String) -> anyhow::Result<()> {
        let ChildCall { target, config, input, component, sealed, result, .. } = call;
        if let Some(sealed) = sealed {
            let mut text = String::new();
            let opened = enact_store::load::open_child(self.packs.reader(), &*self.packs.get(sealed)?)?;
            self.text(&opened, depth, &mut text)?;
            if call.memoized {
                // mark the child's own line
                let end = text.find('\n').unwrap_or(text.len());
                text.insert_str(end, " (memoized)");
            }
            out.push_str(&text);
            return Ok(());
        }
        // No child ran: the target did not resolve, or the result was overridden.
        let name = component.map(|c| self.rt.component_name(&c)).unwrap_or_else(|| target.clone());
        let result = match result {
            ChildResult::Completed(output) => format!(" = {} (overridden)", self.value(output)?),
            ChildResult::Failed(error) => format!(" failed: {error}"),
            ChildResult::Trapped(reason) => format!(" trapped: {reason}"),
            ChildResult::Incomplete => " incomplete".to_string(),
        };
        let indent = "  ".repeat(depth);
        out.push_str(&format!("{indent}{}{result}\n", self.label(&name, config, input)?));
        Ok(())
    }
}

/// A run that was cut off (its process died): what it ran, and the events it
/// persisted; `enact resume run:<hex>` finishes it.
fn show_run(rt: &Runtime, io: &mut Io, args: &Args) -> anyhow::Result<Status> {
    let run = rt.resolve_run(&args.invocation)?;
    let reader = rt.storage().read()?;
    let (header, events) = enact_store::load::run(&reader, run)?
        .ok_or_else(|| enact_store::resolve::ResolveError::NotFound { kind: "run", target: args.invocation.clone() })?;
    let name = rt.component_name(&header.component);
    if args.json {
        let input = enact_store::load::json(&reader, &header.input)?;
        let mut obj = serde_json::json!({
            "run": format!("run:{run:032x}"),
            "status": "incomplete",
            "component": header.component.to_string(),
            "name": name,
            "input": input,
            "events": events.len(),
        });
        if args.events.is_some() {
            obj["journal"] = Value::Array(events.iter().map(Event::to_json).collect());
        }
        outln!(io, "{obj}");
        return Ok(Status::Completed);
    }
    let packs = Packs::new(&reader);
    let view = View { rt, packs: &packs, events: args.events.clone(), max_depth: 0, max_children: 0, full: args.full };
    let label = view.label(&name, &header.config, &header.input)?;
    outln!(
        io,
        "{label} incomplete (cut off after {} persisted events; `enact resume run:{run:032x}` finishes it)",
        events.len()
    );
    if args.events.is_some() {
        for (i, event) in events.iter().enumerate() {
            outln!(io, "  #{i} {} -> {}", event.request(), event.response_text());
        }
    }
    Ok(Status::Completed)
}
