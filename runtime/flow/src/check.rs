//! Checking a flow before it runs: unknown and unreachable steps, steps of
//! no kind or two, transitions never taken, expressions and templates that
//! do not compile, writes a step does not declare, reads of keys nothing
//! writes. Each problem names where it is, as a path into the definition
//! (`next[2].to`), which `load` turns into a line of the file.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;

use crate::definition::{BUILTINS, DIALOGUE, ERROR, FUNCTIONS, Flow, Kind, Step};
use crate::template::{self, Engine};

/// One part of a path into a definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A table's key.
    Key(String),
    /// An array's index.
    Index(usize),
}

/// A problem of a definition, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where: a path into the definition.
    pub at: Vec<Seg>,
    /// What is wrong, for people.
    pub message: String,
}

impl Problem {
    fn new(at: Vec<Seg>, message: impl Into<String>) -> Problem {
        Problem { at, message: message.into() }
    }

    /// The path as text: `step.greet.say`, `next[2].to`.
    pub fn path(&self) -> String {
        let mut text = String::new();
        for seg in &self.at {
            match seg {
                Seg::Key(key) if text.is_empty() => text.push_str(key),
                Seg::Key(key) => {
                    text.push('.');
                    text.push_str(key);
                }
                Seg::Index(i) => text.push_str(&format!("[{i}]")),
            }
        }
        text
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path(), self.message)
    }
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

/// A path `step.<name>.<field...>`, where `field` may be dotted.
fn step_path(name: &str, field: &str) -> Vec<Seg> {
    let mut at = vec![key("step"), key(name)];
    at.extend(field.split('.').filter(|f| !f.is_empty()).map(key));
    at
}

/// Every problem of `flow`, in the order of the definition; none for a flow that can run.
pub fn check(flow: &Flow) -> Vec<Problem> {
    let mut engine = Engine::new();
    let mut problems = Vec::new();
    if !flow.step.contains_key(&flow.entry) {
        problems.push(Problem::new(vec![key("entry")], format!("unknown step `{}`{}", flow.entry, known(flow))));
    }
    let mut written: BTreeSet<String> = flow.state.keys().cloned().collect();
    written.extend(BUILTINS.iter().chain(&FUNCTIONS).map(|b| b.to_string()));
    written.insert(DIALOGUE.to_string());
    for step in flow.step.values() {
        written.extend(step.written());
        if step.on_error.is_some() {
            written.insert(ERROR.to_string());
        }
    }
    for (name, step) in &flow.step {
        check_step(flow, &mut engine, name, step, &written, &mut problems);
    }
    check_transitions(flow, &engine, &written, &mut problems);
    check_reachable(flow, &mut problems);
    problems
}

fn known(flow: &Flow) -> String {
    let names: Vec<&str> = flow.step.keys().map(String::as_str).collect();
    if names.is_empty() { "; the flow has no steps".into() } else { format!("; the steps are {}", names.join(", ")) }
}

fn check_step(
    flow: &Flow,
    engine: &mut Engine,
    name: &str,
    step: &Step,
    written: &BTreeSet<String>,
    out: &mut Vec<Problem>,
) {
    let kinds = step.kinds();
    let Some(kind) = step.kind() else {
        let message = if kinds.is_empty() {
            "a step needs one of `set`, `say`, `ask`, `llm` (or `messages`), `call`, `map`, `end`".to_string()
        } else {
            let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            format!("a step has one kind, this one has {}: make each a step of its own", names.join(" and "))
        };
        out.push(Problem::new(step_path(name, ""), message));
        return;
    };
    match kind {
        Kind::Ask if step.into.is_none() => {
            out.push(Problem::new(step_path(name, "ask"), "an `ask` step needs `into`, the state key for the answer"))
        }
        Kind::Llm if step.into.is_none() && !step.reply => out.push(Problem::new(
            step_path(name, if step.llm.is_some() { "llm" } else { "messages" }),
            "an `llm` step needs `into` (the state key for the completion) or `reply = true`",
        )),
        Kind::Call if step.into.is_none() && step.writes.is_none() => out.push(Problem::new(
            step_path(name, "call"),
            "a `call` step needs `into` (the state key for the output) or `writes` (the output's keys it may write)",
        )),
        _ => {}
    }
    let unloaded = |at: &str, flow: &Option<String>, call: &Option<String>| match (flow, call) {
        (Some(file), None) => Some(Problem::new(
            step_path(name, at),
            format!("the flow `{file}` was not loaded: run the flow from its file"),
        )),
        (None, None) => Some(Problem::new(step_path(name, at), "a `map` needs `call` (a target) or `flow` (a file)")),
        _ => None,
    };
    if let Some(map) = &step.map {
        out.extend(unloaded("map", &map.flow, &map.call));
    }
    if kind == Kind::Call && step.flow.is_some() {
        out.extend(unloaded("flow", &step.flow, &step.call));
    }
    if !step.tools.is_empty() && kind != Kind::Llm {
        out.push(Problem::new(step_path(name, "tools"), "only an `llm` step has tools"));
    }
    for (i, tool) in step.tools.iter().enumerate() {
        if step.tools[..i].iter().any(|t| t.name == tool.name) {
            out.push(Problem::new(
                step_path(name, &format!("tools.{i}.name")),
                format!("a second tool `{}`", tool.name),
            ));
        }
    }
    if let Some(messages) = &step.messages {
        for (i, message) in messages.iter().enumerate() {
            if !["system", "user", "assistant"].contains(&message.role.as_str()) {
                out.push(Problem::new(
                    step_path(name, &format!("messages.{i}.role")),
                    format!("role `{}`: expected `system`, `user` or `assistant`", message.role),
                ));
            }
        }
    }
    if let Some(target) = &step.on_error
        && !flow.step.contains_key(target)
    {
        out.push(Problem::new(step_path(name, "on_error"), format!("unknown step `{target}`{}", known(flow))));
    }
    // Writes: what the definition writes must be declared, when writes are.
    if let Some(writes) = &step.writes {
        let mut own: Vec<&String> = step.set.iter().flatten().map(|(k, _)| k).collect();
        own.extend(step.into.iter());
        own.extend(step.map.iter().map(|m| &m.into));
        for k in own {
            if !writes.contains(k) {
                out.push(Problem::new(
                    step_path(name, "writes"),
                    format!("the step writes `{k}` but declares writes {writes:?}"),
                ));
            }
        }
    }
    // Reads: what expressions and templates name.
    let mut names = BTreeSet::new();
    for (field, expr) in step.expressions() {
        match engine.names_in_expression(expr) {
            Ok(found) => {
                let item = step.map.as_ref().filter(|_| field.starts_with("map.input")).map(|m| m.item.clone());
                names.extend(found.into_iter().filter(|n| Some(n) != item.as_ref()));
            }
            Err(e) => out.push(Problem::new(step_path(name, &field), format!("expression `{expr}`: {e}"))),
        }
    }
    for (field, source) in step.templates() {
        let template_name = template::name_of(name, &field, source);
        match engine.add_template(template_name, source.source()) {
            Ok(found) => names.extend(found),
            Err(e) => out.push(Problem::new(step_path(name, &field), e)),
        }
    }
    if let Some(reads) = &step.reads {
        for n in &names {
            if !reads.contains(n) && !BUILTINS.contains(&n.as_str()) && !FUNCTIONS.contains(&n.as_str()) {
                out.push(Problem::new(
                    step_path(name, "reads"),
                    format!("the step reads `{n}` but declares reads {reads:?}"),
                ));
            }
        }
        names.extend(reads.iter().cloned());
    }
    for n in names {
        if !written.contains(&n) {
            out.push(Problem::new(
                step_path(name, ""),
                format!("reads `{n}`, which neither the initial state holds nor any step writes"),
            ));
        }
    }
}

fn check_transitions(flow: &Flow, engine: &Engine, written: &BTreeSet<String>, out: &mut Vec<Problem>) {
    for (i, next) in flow.next.iter().enumerate() {
        let at = |field: &str| vec![key("next"), Seg::Index(i), key(field)];
        for (field, target) in [("from", &next.from), ("to", &next.to)] {
            if !flow.step.contains_key(target) {
                out.push(Problem::new(at(field), format!("unknown step `{target}`{}", known(flow))));
            }
        }
        if let Some(step) = flow.step.get(&next.from) {
            if step.end {
                out.push(Problem::new(at("from"), format!("step `{}` ends the run: nothing leaves it", next.from)));
            }
            if let Some(event) = &next.on {
                let raised = step.kind().and_then(Kind::event);
                if raised != Some(event.as_str()) {
                    let says = match raised {
                        Some(r) => format!("it raises `{r}`"),
                        None => "it raises none".to_string(),
                    };
                    out.push(Problem::new(at("on"), format!("step `{}` never raises `{event}`: {says}", next.from)));
                }
            }
        }
        if let Some(guard) = &next.when {
            match engine.names_in_expression(guard) {
                Ok(names) => {
                    for n in names.into_iter().filter(|n| !written.contains(n)) {
                        out.push(Problem::new(
                            at("when"),
                            format!("reads `{n}`, which neither the initial state holds nor any step writes"),
                        ));
                    }
                }
                Err(e) => out.push(Problem::new(at("when"), format!("guard `{guard}`: {e}"))),
            }
        }
        // A default earlier on the same event always matches first.
        let shadowed = flow.next[..i].iter().position(|earlier| {
            earlier.from == next.from && earlier.when.is_none() && (earlier.on.is_none() || earlier.on == next.on)
        });
        if let Some(j) = shadowed {
            out.push(Problem::new(
                vec![key("next"), Seg::Index(i)],
                format!("never taken: next[{j}] from `{}` has no `when`, so it always matches first", next.from),
            ));
        }
    }
}

fn check_reachable(flow: &Flow, out: &mut Vec<Problem>) {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([flow.entry.as_str()]);
    while let Some(name) = queue.pop_front() {
        if !seen.insert(name) {
            continue;
        }
        queue.extend(flow.leaving(name).map(|n| n.to.as_str()));
        if let Some(target) = flow.step.get(name).and_then(|s| s.on_error.as_deref()) {
            queue.push_back(target);
        }
    }
    for name in flow.step.keys() {
        if !seen.contains(name.as_str()) && flow.step.contains_key(&flow.entry) {
            out.push(Problem::new(
                step_path(name, ""),
                format!("unreachable: no transition from `{}` leads here", flow.entry),
            ));
        }
    }
}
