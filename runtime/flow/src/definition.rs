//! What a flow is: an entry step, an initial state, steps and ordered
//! transitions. This is the interpreter's config, as JSON; a file on disk is
//! the same shape in TOML or JSON with templates possibly in files (see
//! `load`). Unknown fields are refused, so a typo is an error, not a no-op.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A flow definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// The flow's name.
    pub flow: String,
    /// What it does, for people.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// The step a run starts at.
    pub entry: String,
    /// The initial state: a JSON object.
    #[serde(default)]
    pub state: Map<String, Value>,
    /// The steps, by name.
    #[serde(default)]
    pub step: BTreeMap<String, Step>,
    /// The transitions, in order: from a step, the first that matches is taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next: Vec<Next>,
    /// A run that takes more steps than this fails (a loop that never ends).
    #[serde(default = "default_max_steps")]
    pub max_steps: u64,
}

fn default_max_steps() -> u64 {
    1_000_000
}

/// One step. Exactly one of the kind fields (`set`, `say`, `ask`, `llm`,
/// `call`, `map`, `end`) is given; the other fields refine it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the step does, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// A name for people (`state_name` in templates); the step's name, capitalised, when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,

    /// `set`: state keys and the expressions that compute their new values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<BTreeMap<String, String>>,
    /// `say`: a template whose text is said to the user (appended to the dialogue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub say: Option<Template>,
    /// `ask`: a template whose text asks a person; the answer goes to `into`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask: Option<Template>,
    /// `llm`: a template whose text is the user message of a completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<Template>,
    /// `llm`: the whole conversation instead of one prompt, each content a template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageTemplate>>,
    /// `call`: a child invocation of this target (a component's name or id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
    /// `call`: a child run of another flow, a file next to this one; its
    /// input is the state keys the step passes, its output its final state.
    /// Loading sets `call` to the flow interpreter and `config` to the flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    /// `map`: a child invocation for each item of a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<MapStep>,
    /// `end`: the run ends here.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub end: bool,

    /// `ask`, `llm`: a JSON Schema the answer or the parsed completion must fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    /// `llm`: a system message (a template) before the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<Template>,
    /// `llm`: the dialogue so far goes before the prompt, as messages.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub history: bool,
    /// `llm`: the completion is parsed as JSON (implied by `schema`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub json: bool,
    /// `llm`: the completion is said to the user too (appended to the dialogue).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reply: bool,
    /// `llm`: the model; the runtime's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `llm`: the sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// `llm`: at most this many tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// `llm`: tools the model may call, each a child invocation; their
    /// results go back to the model until it answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolStep>,
    /// `llm`: how many rounds of tool calls the model gets before the step fails.
    #[serde(default = "default_tool_rounds", skip_serializing_if = "is_default_tool_rounds")]
    pub tool_rounds: u32,
    /// `call`: the child's config (JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    /// `call`: the child's input, key by key, as expressions; when absent,
    /// the keys of `reads` with their values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<BTreeMap<String, String>>,

    /// `ask`, `llm`, `call`: the state key the result is written to. A
    /// `call` without it writes the keys of its output, which must be declared in `writes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub into: Option<String>,
    /// The state keys the step reads; when absent, those its expressions and templates name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads: Option<Vec<String>>,
    /// The state keys the step may write; writing any other fails the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes: Option<Vec<String>>,
    /// Where a failed step goes, with `error` in the state, once its retries are spent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_error: Option<String>,
    /// How many times a failed step is tried again before it counts as failed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn default_tool_rounds() -> u32 {
    5
}

fn is_default_tool_rounds(n: &u32) -> bool {
    *n == default_tool_rounds()
}

/// A tool of an `llm` step: what the model sees, and the target a call runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolStep {
    /// The tool's name, as the model calls it.
    pub name: String,
    /// What it does, for the model.
    #[serde(default)]
    pub description: String,
    /// A JSON Schema of its arguments.
    #[serde(default = "any_object")]
    pub parameters: Value,
    /// The target invoked with the arguments as input; its output goes back to the model.
    pub call: String,
    /// The target's config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
}

fn any_object() -> Value {
    serde_json::json!({"type": "object"})
}

/// A `map` step: one child invocation of `call` per item of `over`, in
/// order; the outputs, as a list, go to `into`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapStep {
    /// An expression whose value is the list.
    pub over: String,
    /// The name an item has in `input`'s expressions.
    #[serde(default = "default_item", rename = "as")]
    pub item: String,
    /// The target invoked for each item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
    /// Or a flow run for each item (a file next to this one), as `call` steps' `flow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    /// The children's config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    /// Each child's input, key by key, as expressions; the item itself when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<BTreeMap<String, String>>,
    /// The state key the list of outputs is written to.
    pub into: String,
}

fn default_item() -> String {
    "item".into()
}

/// A message of an `llm` step's conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageTemplate {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The content, a template.
    pub content: Template,
}

/// A Jinja template: inline text, or the text of a file next to the flow
/// (inlined when the flow is loaded, so the definition holds every template).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Template {
    /// The template's text.
    Inline(String),
    /// A template read from a file.
    File {
        /// The file, relative to the flow's.
        file: String,
        /// Its text: filled in when the flow is loaded.
        #[serde(default)]
        source: Option<String>,
    },
}

impl Template {
    /// The template's text (empty for a file not loaded).
    pub fn source(&self) -> &str {
        match self {
            Template::Inline(text) => text,
            Template::File { source, .. } => source.as_deref().unwrap_or_default(),
        }
    }
}

/// A transition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Next {
    /// The step it leaves.
    pub from: String,
    /// The step it goes to.
    pub to: String,
    /// A guard: an expression over the state; the transition is taken only when it is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// An event: the transition is taken only after a step that raised it
    /// (`user_input` after `ask`, `ai_output` after `llm`, `result` after `call` and `map`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
}

/// What a step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Computes state keys.
    Set,
    /// Says something to the user.
    Say,
    /// Asks a person.
    Ask,
    /// Asks a language model.
    Llm,
    /// Invokes a child.
    Call,
    /// Invokes a child per item of a list.
    Map,
    /// Ends the run.
    End,
}

impl Kind {
    /// The kind's name, as the field that gives it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Set => "set",
            Kind::Say => "say",
            Kind::Ask => "ask",
            Kind::Llm => "llm",
            Kind::Call => "call",
            Kind::Map => "map",
            Kind::End => "end",
        }
    }

    /// The event a step of this kind raises, for transitions' `on`.
    pub fn event(self) -> Option<&'static str> {
        match self {
            Kind::Ask => Some("user_input"),
            Kind::Llm => Some("ai_output"),
            Kind::Call | Kind::Map => Some("result"),
            Kind::Set | Kind::Say | Kind::End => None,
        }
    }
}

impl Step {
    /// The kinds the step's fields give: exactly one for a valid step.
    pub fn kinds(&self) -> Vec<Kind> {
        let mut kinds = Vec::new();
        let given = [
            (self.set.is_some(), Kind::Set),
            (self.say.is_some(), Kind::Say),
            (self.ask.is_some(), Kind::Ask),
            (self.llm.is_some() || self.messages.is_some(), Kind::Llm),
            (self.call.is_some() || self.flow.is_some(), Kind::Call),
            (self.map.is_some(), Kind::Map),
            (self.end, Kind::End),
        ];
        for (present, kind) in given {
            if present {
                kinds.push(kind);
            }
        }
        kinds
    }

    /// The step's kind, when exactly one is given.
    pub fn kind(&self) -> Option<Kind> {
        match self.kinds().as_slice() {
            [kind] => Some(*kind),
            _ => None,
        }
    }

    /// Every template of the step, with the field it is in.
    pub fn templates(&self) -> Vec<(String, &Template)> {
        let mut all = Vec::new();
        for (field, template) in [("say", &self.say), ("ask", &self.ask), ("llm", &self.llm), ("system", &self.system)]
        {
            if let Some(template) = template {
                all.push((field.to_string(), template));
            }
        }
        for (i, message) in self.messages.iter().flatten().enumerate() {
            all.push((format!("messages[{i}].content"), &message.content));
        }
        all
    }

    /// Every expression of the step, with the field it is in.
    pub fn expressions(&self) -> Vec<(String, &str)> {
        let mut all = Vec::new();
        for (key, expr) in self.set.iter().flatten() {
            all.push((format!("set.{key}"), expr.as_str()));
        }
        for (key, expr) in self.input.iter().flatten() {
            all.push((format!("input.{key}"), expr.as_str()));
        }
        if let Some(map) = &self.map {
            all.push(("map.over".to_string(), map.over.as_str()));
            for (key, expr) in map.input.iter().flatten() {
                all.push((format!("map.input.{key}"), expr.as_str()));
            }
        }
        all
    }

    /// The state keys the step writes, as far as its definition says.
    pub fn written(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.set.iter().flatten().map(|(k, _)| k.clone()).collect();
        keys.extend(self.into.iter().cloned());
        if let Some(map) = &self.map {
            keys.push(map.into.clone());
        }
        if let Some(writes) = &self.writes {
            keys.extend(writes.iter().cloned());
        }
        if self.say.is_some() || self.ask.is_some() || self.reply {
            keys.push(DIALOGUE.to_string());
        }
        keys.sort();
        keys.dedup();
        keys
    }

    /// The name people see: `title`, or the step's name with its first
    /// letter capitalised and underscores as spaces (as Genie Flow does).
    pub fn title_of(&self, name: &str) -> String {
        if let Some(title) = &self.title {
            return title.clone();
        }
        let spaced = name.replace('_', " ");
        let mut chars = spaced.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        }
    }
}

/// The state key holding the dialogue: a list of `{role, content}`
/// messages, appended to by `say`, `ask` and replying `llm` steps.
pub const DIALOGUE: &str = "dialogue";

/// The state key a failed step's error is written to before its `on_error` step.
pub const ERROR: &str = "error";

/// The functions expressions and templates may call besides minijinja's:
/// journaled random draws.
pub const FUNCTIONS: [&str; 3] = ["random", "randint", "choice"];

/// Names every template sees besides the state.
pub const BUILTINS: [&str; 4] = ["state_id", "state_name", "chat_history", "actor_input"];

impl Flow {
    /// The definition as compact JSON: the interpreter's config.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a flow serializes")
    }

    /// The transitions leaving `step`, in order.
    pub fn leaving<'a>(&'a self, step: &'a str) -> impl Iterator<Item = &'a Next> + 'a {
        self.next.iter().filter(move |n| n.from == step)
    }
}
