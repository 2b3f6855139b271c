//! The interpreter: runs a checked flow step by step over a [`Host`] that
//! reaches the world (a model, a person, children) and marks each step.
//! The flow interpreter component is this, with the host functions of
//! enact's WIT; everything it receives is journaled there, so a run replays
//! exactly and forks from any step.
//!
//! Semantics, in order, for each step: halt if asked to before it; run it
//! (a `set` evaluates all its expressions on the state before the step, then
//! writes them); on failure try again up to `retries` times, then go to
//! `on_error` with `error` in the state, or fail the run; mark the step with
//! the state after it (a fork may hand back an edited state); end at an
//! `end` step or a step nothing leaves; else take the first transition from
//! the step whose event (if it names one) was raised and whose guard (if it
//! has one) is true. No transition matching is an error naming the step and state.

use std::collections::BTreeMap;

use minijinja::Value as Jinja;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::check::check;
use crate::definition::{DIALOGUE, ERROR, Flow, Kind, Step};
use crate::template::{self, Engine};

/// One message of a completion request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// The text.
    pub content: String,
    /// An assistant message's calls of tools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// A `tool` message: the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    fn new(role: &str, content: String) -> Message {
        Message { role: role.to_string(), content, tool_calls: Vec::new(), tool_call_id: None }
    }
}

/// A tool the model may call.
#[derive(Clone, Debug, PartialEq)]
pub struct Tool {
    /// Its name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// A JSON Schema of its arguments.
    pub parameters: Value,
}

/// A call of a tool the model asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call's id.
    pub id: String,
    /// The tool.
    pub name: String,
    /// The arguments, as JSON text.
    pub arguments: String,
}

/// What a model answered: text, or calls of tools.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Reply {
    /// The text.
    pub text: String,
    /// The tools it asks to call; empty when it answered.
    pub tool_calls: Vec<ToolCall>,
}

/// A completion request of an `llm` step.
#[derive(Clone, Debug, PartialEq)]
pub struct LlmRequest {
    /// The model, when the step names one.
    pub model: Option<String>,
    /// The conversation.
    pub messages: Vec<Message>,
    /// The sampling temperature.
    pub temperature: Option<f32>,
    /// At most this many tokens.
    pub max_tokens: Option<u32>,
    /// A JSON Schema the completion must follow.
    pub response_format: Option<Value>,
    /// Tools the model may call.
    pub tools: Vec<Tool>,
}

/// Why a step or a run failed: a stable code and a message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// `llm-unavailable`, `template`, `expression`, `undeclared-write`, `parse`,
    /// `no-transition`, a child's own code, ...
    pub code: String,
    /// What went wrong.
    pub message: String,
}

impl Failure {
    /// A failure with `code` and `message`.
    pub fn new(code: &str, message: impl Into<String>) -> Failure {
        Failure { code: code.to_string(), message: message.into() }
    }
}

/// What the interpreter reaches outside itself.
pub trait Host {
    /// A completion.
    ///
    /// # Errors
    /// No completion could be had.
    fn complete(&mut self, request: &LlmRequest) -> Result<Reply, Failure>;

    /// A person's answer to `prompt`, fitting `schema`. (The component's
    /// host suspends the run when no answer is at hand: this does not return then.)
    fn ask(&mut self, prompt: &str, schema: &Value) -> Value;

    /// The output of a child invocation of `target`.
    ///
    /// # Errors
    /// The child failed.
    fn call(&mut self, target: &str, config: Option<&Value>, input: &Value) -> Result<Value, Failure>;

    /// The outputs of child invocations of `target`, one per input, run
    /// concurrently where the host can; in the order of `inputs`.
    fn call_all(&mut self, target: &str, config: Option<&Value>, inputs: &[Value]) -> Vec<Result<Value, Failure>> {
        inputs.iter().map(|input| self.call(target, config, input)).collect()
    }

    /// Step `name` ended with `state` (JSON text of an object); returns the
    /// state to go on with instead, when a fork edited it.
    fn mark(&mut self, name: &str, state: &str) -> Option<String>;

    /// The random source of `random()`, `randint()` and `choice()` in expressions.
    fn random(&self) -> fn() -> u64;
}

/// What a run is asked to do, besides the flow: the interpreter's input.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Keys merged over the flow's initial state.
    #[serde(default)]
    pub state: Map<String, Value>,
    /// Stop before running any of these steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub halt_before: Vec<String>,
    /// Stop after running any of these steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub halt_after: Vec<String>,
}

/// How a run ended: the interpreter's output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// `ended`, or `halted` (by `halt_before` or `halt_after`).
    pub status: String,
    /// The last step run, or the step halted before.
    pub step: String,
    /// How many steps ran.
    pub steps: u64,
    /// The state at the end.
    pub state: Map<String, Value>,
}

/// A step's compiled expressions.
#[derive(Default)]
struct Compiled<'e> {
    set: Vec<(String, minijinja::Expression<'e, 'static>)>,
    input: Vec<(String, minijinja::Expression<'e, 'static>)>,
    over: Option<minijinja::Expression<'e, 'static>>,
    map_input: Vec<(String, minijinja::Expression<'e, 'static>)>,
    /// Whether its templates or expressions read `chat_history` (formatted only then).
    history: bool,
    /// `state_name` in its templates.
    title: Jinja,
}

/// Runs `flow` with `input` over `host`.
///
/// # Errors
/// An invalid flow (`invalid-config`, before any step), or a failed run: a
/// step failed with no `on_error`, no transition matched, too many steps.
pub fn run(flow: &Flow, input: Input, host: &mut dyn Host) -> Result<Output, Failure> {
    let problems = check(flow);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(Failure::new(
            "invalid-config",
            format!("the flow `{}` is not valid: {}", flow.flow, list.join("; ")),
        ));
    }
    let mut engine = Engine::with_random(host.random());
    let mut history = BTreeMap::new();
    for (name, step) in &flow.step {
        let mut reads_history = false;
        for (field, template) in step.templates() {
            let names = engine
                .add_template(template::name_of(name, &field, template), template.source())
                .map_err(|e| Failure::new("template", e))?;
            reads_history |= names.contains("chat_history");
        }
        history.insert(name.as_str(), reads_history);
    }
    let compile = |expr: &str| engine.expression(expr).map_err(|e| Failure::new("expression", e));
    let mut compiled: BTreeMap<&str, Compiled> = BTreeMap::new();
    for (name, step) in &flow.step {
        let title = Jinja::from(step.title_of(name));
        let mut c = Compiled { history: history[name.as_str()], title, ..Compiled::default() };
        for (key, expr) in step.set.iter().flatten() {
            c.set.push((key.clone(), compile(expr)?));
        }
        for (key, expr) in step.input.iter().flatten() {
            c.input.push((key.clone(), compile(expr)?));
        }
        if let Some(map) = &step.map {
            c.over = Some(compile(&map.over)?);
            for (key, expr) in map.input.iter().flatten() {
                c.map_input.push((key.clone(), compile(expr)?));
            }
        }
        compiled.insert(name, c);
    }
    let guards = flow.next.iter().map(|n| n.when.as_deref().map(compile).transpose()).collect::<Result<Vec<_>, _>>()?;

    let mut state = flow.state.clone();
    state.extend(input.state);
    let mut interp = Interp { engine: &engine, host, actor_input: String::new() };
    let mut current = flow.entry.clone();
    let mut steps = 0u64;
    // A fork hands back the state after a step: the run goes on from there
    // and does not halt again where the run it forks halted.
    let mut forked = false;
    loop {
        let after_fork = std::mem::take(&mut forked);
        if input.halt_before.contains(&current) && !after_fork {
            return Ok(Output { status: "halted".into(), step: current, steps, state });
        }
        if steps >= flow.max_steps {
            return Err(Failure::new(
                "too-many-steps",
                format!("the flow ran {steps} steps (max_steps) and was at step `{current}`"),
            ));
        }
        let step = &flow.step[&current];
        let c = &compiled[current.as_str()];
        let mut attempts = 0;
        let outcome = loop {
            attempts += 1;
            match interp.step(&current, step, c, &state) {
                Ok(writes) => break Ok(writes),
                Err(failure) if attempts > step.retries => break Err(failure),
                Err(_) => {}
            }
        };
        steps += 1;
        let failed_to = match outcome {
            Ok(writes) => {
                state.extend(writes);
                None
            }
            Err(failure) => match &step.on_error {
                Some(handler) => {
                    let error = json!({"step": current, "code": failure.code, "message": failure.message, "attempts": attempts});
                    state.insert(ERROR.to_string(), error);
                    Some(handler.clone())
                }
                None => {
                    return Err(Failure::new(&failure.code, format!("step `{current}` failed: {}", failure.message)));
                }
            },
        };
        let text = serde_json::to_string(&state).expect("a state serializes");
        if let Some(replaced) = interp.host.mark(&current, &text) {
            state = serde_json::from_str(&replaced).map_err(|e| {
                Failure::new("invalid-state", format!("the state to go on with is not a JSON object: {e}"))
            })?;
            forked = true;
        }
        if let Some(handler) = failed_to {
            current = handler;
            continue;
        }
        let mut leaving = flow.next.iter().enumerate().filter(|(_, n)| n.from == current).peekable();
        if step.end || leaving.peek().is_none() {
            return Ok(Output { status: "ended".into(), step: current, steps, state });
        }
        if input.halt_after.contains(&current) && !forked {
            return Ok(Output { status: "halted".into(), step: current, steps, state });
        }
        let event = step.kind().and_then(Kind::event);
        let ctx = interp.context(&current, c, &state);
        let mut chosen = None;
        for (i, next) in leaving {
            if next.on.is_some() && next.on.as_deref() != event {
                continue;
            }
            let taken = match &guards[i] {
                None => true,
                Some(guard) => guard
                    .eval(&ctx)
                    .map_err(|e| {
                        Failure::new(
                            "expression",
                            format!(
                                "guard `{}` of next[{i}]: {}",
                                next.when.as_deref().unwrap_or_default(),
                                template::describe(&e)
                            ),
                        )
                    })?
                    .is_true(),
            };
            if taken {
                chosen = Some(next.to.clone());
                break;
            }
        }
        current = chosen.ok_or_else(|| {
            Failure::new(
                "no-transition",
                format!("no transition from step `{current}` matches the state {}", Value::Object(state.clone())),
            )
        })?;
    }
}

/// The interpreter's state besides the flow's: the engine, the host, the latest actor's input.
struct Interp<'a> {
    engine: &'a Engine,
    host: &'a mut dyn Host,
    /// The latest answer or completion: `actor_input` in templates.
    actor_input: String,
}

fn said(role: &str, content: &str) -> Value {
    json!({"role": role, "content": content})
}

/// The dialogue in Genie Flow's chat format: each message as
/// `[ROLE]: text` and a line break, the messages joined by a line break.
fn chat_history(state: &Map<String, Value>) -> String {
    let lines: Vec<String> = state
        .get(DIALOGUE)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|message| {
            let role = message["role"].as_str().unwrap_or("user").to_uppercase();
            let content = match &message["content"] {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            format!("[{role}]: {content}\n")
        })
        .collect();
    lines.join("\n")
}

/// Parses a completion as JSON: the whole text, or the first fenced block in it.
fn parse_json(text: &str) -> Result<Value, Failure> {
    let trimmed = text.trim();
    if let Ok(value) = serde_json::from_str(trimmed) {
        return Ok(value);
    }
    let fenced = trimmed.split("```").nth(1).map(|block| block.trim_start_matches("json").trim());
    fenced.and_then(|block| serde_json::from_str(block).ok()).ok_or_else(|| {
        Failure::new("parse", format!("the completion is not JSON: {}", text.chars().take(200).collect::<String>()))
    })
}

/// Whether `value` fits the parts of a JSON Schema that matter for a
/// completion: `type`, `enum`, `required`, `properties`, `items`.
fn fits(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(ty) = schema["type"].as_str() {
        let ok = match ty {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => true,
        };
        if !ok {
            return Err(format!("{at}: expected {ty}, got {value}"));
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {}", Value::Array(allowed.clone())));
    }
    if let Some(object) = value.as_object() {
        for key in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(key) {
                return Err(format!("{at}: `{key}` is missing"));
            }
        }
        for (key, sub) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(v) = object.get(key) {
                fits(sub, v, &format!("{at}.{key}"))?;
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            fits(items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

fn to_json(value: &Jinja) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl Interp<'_> {
    /// What expressions and templates of `step` see: the state, and the builtins.
    fn context(&self, name: &str, c: &Compiled, state: &Map<String, Value>) -> Jinja {
        let history = if c.history { chat_history(state) } else { String::new() };
        minijinja::context! {
            state_id => name,
            state_name => c.title.clone(),
            chat_history => history,
            actor_input => self.actor_input.as_str(),
            ..Jinja::from_serialize(state)
        }
    }

    fn render(&self, name: &str, field: &str, step: &Step, ctx: &Jinja) -> Result<String, Failure> {
        let template = match field {
            "say" => step.say.as_ref(),
            "ask" => step.ask.as_ref(),
            "llm" => step.llm.as_ref(),
            "system" => step.system.as_ref(),
            _ => None,
        };
        let template = template.expect("rendered fields exist");
        self.engine
            .render(&template::name_of(name, field, template), ctx.clone())
            .map_err(|e| Failure::new("template", e))
    }

    fn eval(expr: &minijinja::Expression<'_, 'static>, ctx: &Jinja, what: &str) -> Result<Value, Failure> {
        expr.eval(ctx)
            .map(|v| to_json(&v))
            .map_err(|e| Failure::new("expression", format!("{what}: {}", template::describe(&e))))
    }

    /// Completes `request`; while the model calls tools, runs each as a
    /// child and hands the results back, for at most `tool_rounds` rounds.
    fn complete_with_tools(&mut self, step: &Step, request: &mut LlmRequest) -> Result<String, Failure> {
        for _ in 0..=step.tool_rounds {
            let reply = self.host.complete(request)?;
            if reply.tool_calls.is_empty() {
                return Ok(reply.text);
            }
            let mut answers = Vec::new();
            for call in &reply.tool_calls {
                let Some(tool) = step.tools.iter().find(|t| t.name == call.name) else {
                    answers.push((call.id.clone(), format!("error: there is no tool `{}`", call.name)));
                    continue;
                };
                // The model's mistakes go back to it, as a tool's answer.
                let answer = match serde_json::from_str::<Value>(&call.arguments) {
                    Err(e) => format!("error: the arguments are not JSON: {e}"),
                    Ok(arguments) => match self.host.call(&tool.call, tool.config.as_ref(), &arguments) {
                        Ok(output) => output.to_string(),
                        Err(failure) => format!("error ({}): {}", failure.code, failure.message),
                    },
                };
                answers.push((call.id.clone(), answer));
            }
            request
                .messages
                .push(Message { tool_calls: reply.tool_calls.clone(), ..Message::new("assistant", reply.text) });
            for (id, answer) in answers {
                request.messages.push(Message { tool_call_id: Some(id), ..Message::new("tool", answer) });
            }
        }
        Err(Failure::new(
            "too-many-tool-rounds",
            format!("the model still called tools after {} rounds (tool_rounds)", step.tool_rounds),
        ))
    }

    /// A child invocation; of a flow, its input is the state it starts
    /// with and its output the state it ends with.
    fn call(&mut self, target: &str, flow: bool, config: Option<&Value>, input: Value) -> Result<Value, Failure> {
        if !flow {
            return self.host.call(target, config, &input);
        }
        let mut output = self.host.call(target, config, &json!({ "state": input }))?;
        Ok(output["state"].take())
    }

    /// Runs one step on `state`; returns the keys it writes.
    fn step(
        &mut self,
        name: &str,
        step: &Step,
        c: &Compiled,
        state: &Map<String, Value>,
    ) -> Result<Map<String, Value>, Failure> {
        let ctx = self.context(name, c, state);
        let mut writes = Map::new();
        let dialogue = || state.get(DIALOGUE).and_then(Value::as_array).cloned().unwrap_or_default();
        match step.kind().expect("a checked flow's steps have one kind") {
            Kind::Set => {
                for (key, expr) in &c.set {
                    writes.insert(key.clone(), Self::eval(expr, &ctx, &format!("set.{key}"))?);
                }
            }
            Kind::Say => {
                let text = self.render(name, "say", step, &ctx)?;
                let mut d = dialogue();
                d.push(said("assistant", &text));
                writes.insert(DIALOGUE.into(), Value::Array(d));
            }
            Kind::Ask => {
                let prompt = self.render(name, "ask", step, &ctx)?;
                let schema = step.schema.clone().unwrap_or_else(|| json!({"type": "string"}));
                let answer = self.host.ask(&prompt, &schema);
                let text = answer.as_str().map(str::to_string).unwrap_or_else(|| answer.to_string());
                let mut d = dialogue();
                d.push(said("assistant", &prompt));
                d.push(said("user", &text));
                writes.insert(DIALOGUE.into(), Value::Array(d));
                self.actor_input = text;
                writes.insert(step.into.clone().expect("checked"), answer);
            }
            Kind::Llm => {
                let mut messages = Vec::new();
                if step.system.is_some() {
                    messages.push(Message::new("system", self.render(name, "system", step, &ctx)?));
                }
                if step.history {
                    for m in dialogue() {
                        let content =
                            m["content"].as_str().map(str::to_string).unwrap_or_else(|| m["content"].to_string());
                        messages.push(Message::new(m["role"].as_str().unwrap_or("user"), content));
                    }
                }
                if step.llm.is_some() {
                    messages.push(Message::new("user", self.render(name, "llm", step, &ctx)?));
                }
                for (i, m) in step.messages.iter().flatten().enumerate() {
                    let field = format!("messages[{i}].content");
                    let rendered = self
                        .engine
                        .render(&template::name_of(name, &field, &m.content), ctx.clone())
                        .map_err(|e| Failure::new("template", e))?;
                    messages.push(Message::new(&m.role, rendered));
                }
                let tools = step
                    .tools
                    .iter()
                    .map(|t| Tool {
                        name: t.name.clone(),
                        description: t.description.clone(),
                        parameters: t.parameters.clone(),
                    })
                    .collect();
                let mut request = LlmRequest {
                    model: step.model.clone(),
                    messages,
                    temperature: step.temperature,
                    max_tokens: step.max_tokens,
                    response_format: step.schema.clone(),
                    tools,
                };
                let text = self.complete_with_tools(step, &mut request)?;
                self.actor_input = text.clone();
                if step.reply {
                    let mut d = dialogue();
                    d.push(said("assistant", &text));
                    writes.insert(DIALOGUE.into(), Value::Array(d));
                }
                if let Some(into) = &step.into {
                    let value = if step.json || step.schema.is_some() {
                        let value = parse_json(&text)?;
                        if let Some(schema) = &step.schema {
                            fits(schema, &value, "the completion").map_err(|e| Failure::new("parse", e))?;
                        }
                        value
                    } else {
                        Value::String(text)
                    };
                    writes.insert(into.clone(), value);
                }
            }
            Kind::Call => {
                let input = if c.input.is_empty() {
                    let keys: Vec<&String> = match &step.reads {
                        Some(reads) => reads.iter().collect(),
                        None => state.keys().filter(|k| *k != DIALOGUE).collect(),
                    };
                    Value::Object(keys.into_iter().filter_map(|k| Some((k.clone(), state.get(k)?.clone()))).collect())
                } else {
                    let mut object = Map::new();
                    for (key, expr) in &c.input {
                        object.insert(key.clone(), Self::eval(expr, &ctx, &format!("input.{key}"))?);
                    }
                    Value::Object(object)
                };
                let target = step.call.as_deref().expect("checked");
                let output = self.call(target, step.flow.is_some(), step.config.as_ref(), input)?;
                match &step.into {
                    Some(into) => {
                        writes.insert(into.clone(), output);
                    }
                    None => {
                        let Value::Object(object) = output else {
                            return Err(Failure::new(
                                "undeclared-write",
                                format!("`{target}` returned {output}, not an object of the keys the step writes"),
                            ));
                        };
                        writes = object;
                    }
                }
            }
            Kind::Map => {
                let map = step.map.as_ref().expect("checked");
                let over = c.over.as_ref().expect("compiled");
                let list = Self::eval(over, &ctx, "map.over")?;
                let Value::Array(items) = list else {
                    return Err(Failure::new("expression", format!("map.over `{}` is {list}, not a list", map.over)));
                };
                let mut inputs = Vec::with_capacity(items.len());
                for item in items {
                    let input = if c.map_input.is_empty() {
                        item
                    } else {
                        let scoped = Jinja::from_serialize(json!({ map.item.clone(): item }));
                        let scoped = minijinja::context! { ..scoped, ..ctx.clone() };
                        let mut object = Map::new();
                        for (key, expr) in &c.map_input {
                            object.insert(key.clone(), Self::eval(expr, &scoped, &format!("map.input.{key}"))?);
                        }
                        Value::Object(object)
                    };
                    // A flow's input is the state it starts with.
                    inputs.push(if map.flow.is_some() { json!({ "state": input }) } else { input });
                }
                let target = map.call.as_deref().expect("checked");
                let mut outputs = Vec::with_capacity(inputs.len());
                for output in self.host.call_all(target, map.config.as_ref(), &inputs) {
                    let mut output = output?;
                    outputs.push(if map.flow.is_some() { output["state"].take() } else { output });
                }
                writes.insert(map.into.clone(), Value::Array(outputs));
            }
            Kind::End => {}
        }
        if let Some(declared) = &step.writes
            && let Some(key) = writes.keys().find(|k| *k != DIALOGUE && !declared.contains(k))
        {
            return Err(Failure::new(
                "undeclared-write",
                format!("the step wrote `{key}`, which it does not declare in writes {declared:?}"),
            ));
        }
        Ok(writes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host that answers from lists and records every mark.
    #[derive(Default)]
    struct Scripted {
        completions: Vec<Result<String, Failure>>,
        answers: Vec<Value>,
        marks: Vec<(String, Value)>,
    }

    impl Host for Scripted {
        fn complete(&mut self, _request: &LlmRequest) -> Result<Reply, Failure> {
            let next = self.completions.remove(0);
            next.map(|text| Reply { text, tool_calls: Vec::new() })
        }

        fn ask(&mut self, _prompt: &str, _schema: &Value) -> Value {
            self.answers.remove(0)
        }

        fn call(&mut self, target: &str, _config: Option<&Value>, input: &Value) -> Result<Value, Failure> {
            match target {
                "echo" => Ok(input.clone()),
                _ => Err(Failure::new("unknown-target", target.to_string())),
            }
        }

        fn mark(&mut self, name: &str, state: &str) -> Option<String> {
            self.marks.push((name.to_string(), serde_json::from_str(state).unwrap_or_default()));
            None
        }

        fn random(&self) -> fn() -> u64 {
            || u64::MAX / 2
        }
    }

    fn flow(value: Value) -> Flow {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_failed_step_is_retried_then_routed_to_its_handler_with_the_error() {
        let flow = flow(json!({
            "flow": "f", "entry": "ask_model",
            "step": {
                "ask_model": {"llm": "hi", "into": "answer", "retries": 1, "on_error": "sorry"},
                "sorry": {"say": "failed at {{ error.step }} after {{ error.attempts }} attempts"},
            },
        }));
        let down = || Err(Failure::new("llm-unavailable", "down"));
        let mut host = Scripted { completions: vec![down(), down()], ..Scripted::default() };
        let out = run(&flow, Input::default(), &mut host).unwrap();
        assert_eq!(out.state["error"]["code"], "llm-unavailable");
        assert_eq!(out.state["dialogue"][0]["content"], "failed at ask_model after 2 attempts");
        assert_eq!(host.marks.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["ask_model", "sorry"]);

        // Without a handler the run fails with the step's code.
        let mut flow = flow;
        flow.step.get_mut("ask_model").unwrap().on_error = None;
        flow.step.remove("sorry");
        let mut host = Scripted { completions: vec![down(), down()], ..Scripted::default() };
        let failure = run(&flow, Input::default(), &mut host).unwrap_err();
        assert_eq!(failure.code, "llm-unavailable");
        assert!(failure.message.contains("step `ask_model` failed"), "{}", failure.message);
    }

    #[test]
    fn events_and_guards_pick_the_first_matching_transition_or_fail_naming_the_state() {
        let flow = flow(json!({
            "flow": "f", "entry": "ask", "state": {"n": 0},
            "step": {
                "ask": {"ask": "a number?", "into": "n", "schema": {"type": "integer"}},
                "big": {"end": true},
                "small": {"end": true},
            },
            "next": [
                {"from": "ask", "to": "big", "on": "user_input", "when": "n > 10"},
                {"from": "ask", "to": "small", "on": "user_input", "when": "n >= 0"},
            ],
        }));
        for (answer, last) in [(json!(42), "big"), (json!(3), "small")] {
            let mut host = Scripted { answers: vec![answer], ..Scripted::default() };
            assert_eq!(run(&flow, Input::default(), &mut host).unwrap().step, last);
        }
        let mut host = Scripted { answers: vec![json!(-1)], ..Scripted::default() };
        let failure = run(&flow, Input::default(), &mut host).unwrap_err();
        assert_eq!(failure.code, "no-transition");
        assert!(failure.message.contains("step `ask`") && failure.message.contains(r#""n":-1"#), "{}", failure.message);
    }

    #[test]
    fn a_call_writes_only_what_it_declares_and_a_loop_stops_at_max_steps() {
        let writes = flow(json!({
            "flow": "f", "entry": "c", "state": {"a": 1, "b": 2},
            "step": {"c": {"call": "echo", "reads": ["a", "b"], "writes": ["a"]}},
        }));
        let failure = run(&writes, Input::default(), &mut Scripted::default()).unwrap_err();
        assert_eq!(failure.code, "undeclared-write");

        let forever = flow(json!({
            "flow": "f", "entry": "s", "state": {"n": 0}, "max_steps": 50,
            "step": {"s": {"set": {"n": "n + 1"}}},
            "next": [{"from": "s", "to": "s"}],
        }));
        let mut host = Scripted::default();
        assert_eq!(run(&forever, Input::default(), &mut host).unwrap_err().code, "too-many-steps");
        assert_eq!(host.marks.len(), 50);
        assert_eq!(host.marks[49].1["n"], 50);
    }

    #[test]
    fn the_chat_history_is_in_genie_flows_chat_format() {
        let state =
            json!({"dialogue": [{"role": "assistant", "content": "Hi!"}, {"role": "user", "content": "Hello"}]});
        assert_eq!(chat_history(state.as_object().unwrap()), "[ASSISTANT]: Hi!\n\n[USER]: Hello\n");
        assert_eq!(chat_history(&Map::new()), "");
    }

    #[test]
    fn a_completion_parsed_as_json_must_fit_the_schema() {
        let flow = flow(json!({
            "flow": "f", "entry": "m",
            "step": {"m": {"llm": "json please", "into": "v",
                "schema": {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}}},
        }));
        let fenced = "Here:\n```json\n{\"ok\": true}\n```";
        let mut host = Scripted { completions: vec![Ok(fenced.into())], ..Scripted::default() };
        assert_eq!(run(&flow, Input::default(), &mut host).unwrap().state["v"], json!({"ok": true}));
        let mut host = Scripted { completions: vec![Ok(r#"{"ok": "yes"}"#.into())], ..Scripted::default() };
        let failure = run(&flow, Input::default(), &mut host).unwrap_err();
        assert_eq!(failure.code, "parse");
        assert!(failure.message.contains("the completion.ok: expected boolean"), "{}", failure.message);
    }
}
