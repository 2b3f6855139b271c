//! `enact invoke TARGET [--config JSON] [--input JSON] [--answers FILE|llm] [--interactive] [limits] [--json]`

use crate::Io;
use crate::noteln;
use anyhow::Context;
use serde_json::{Value, json};

use super::answers::AnswerArgs;
use super::limits::LimitArgs;
use super::{Status, output};
use enact_core::grant::Grant;
use enact_runtime::{Call, Runtime};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A component: its name, its id, a unique prefix of the id, or a .wasm file (added first)
    target: String,
    /// The config, as JSON, or `@FILE` (`@-`: standard input) to read it from
    #[arg(long, default_value = "{}")]
    config: String,
    /// The input, as JSON, or `@FILE` (`@-`: standard input) to read it from [default: null]
    #[arg(long)]
    input: Option<String>,
    /// The answer to the first input request (text when its schema asks for a string, else JSON)
    #[arg(long, value_name = "JSON")]
    answer: Option<String>,
    #[command(flatten)]
    answers: AnswerArgs,
    #[command(flatten)]
    limits: LimitArgs,
    /// Grant a directory: HOST_PATH:GUEST_PATH[:ro|rw], read-only by default; the guest sees a recorded snapshot
    #[arg(long = "dir", value_name = "HOST:GUEST[:ro|rw]")]
    dirs: Vec<enact_core::grant::Grant>,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
    /// Print a string output as its text, not as JSON
    #[arg(long, conflicts_with = "json")]
    raw: bool,
}

/// `what`'s JSON: the text itself, or the contents of the file after `@`
/// (`@-`: standard input); checked here so that a shell's mangling shows.
pub(super) fn json_arg(io: &Io, what: &str, text: &str) -> anyhow::Result<String> {
    let json = match text.strip_prefix('@') {
        Some("-") => io.console.read_all().context("cannot read standard input")?,
        Some(path) => std::fs::read_to_string(io.path(path)).with_context(|| format!("cannot read `{path}`"))?,
        None => text.to_string(),
    };
    if let Err(e) = serde_json::from_str::<Value>(&json) {
        let shown: String = json.chars().take(200).collect();
        anyhow::bail!(
            "{what} is not valid JSON: {e}\n  got: {shown}; hint: quote it for the shell, as in --{what} '{{\"n\":3}}'"
        );
    }
    Ok(json)
}

/// An example of a value that fits `schema`: its required properties, each
/// with a value of its type.
fn example(schema: &Value) -> Value {
    match schema["type"].as_str() {
        Some("object") => {
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            let fields = required
                .iter()
                .filter_map(Value::as_str)
                .map(|key| (key.to_string(), example(&schema["properties"][key])));
            Value::Object(fields.collect())
        }
        Some("integer") => json!(schema["minimum"].as_i64().unwrap_or(1).max(1)),
        Some("number") => json!(1.5),
        Some("string") => json!("text"),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        _ => Value::Null,
    }
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let limits = args.limits.apply(rt.limits().clone())?;
    let component = super::add::component_of(rt, io, &args.target)?;
    let input = match &args.input {
        Some(text) => json_arg(io, "input", text)?,
        None => {
            // No input given: say what the component wants, if it wants one.
            let schema = rt.component_info(&component)?.and_then(|info| info.metadata.input_schema);
            let schema = schema.and_then(|s| serde_json::from_str::<Value>(&s).ok());
            if let Some(schema) = schema.filter(|s| enact_core::answer::check_schema(s, &Value::Null).is_err()) {
                let example = example(&schema);
                anyhow::bail!(
                    "`{}` needs an input that fits {schema}; hint: `enact invoke {} --input '{example}'`",
                    args.target,
                    args.target
                );
            }
            "null".to_string()
        }
    };
    // A named invokable (`enact run --name`) runs with its own config.
    let config = match rt.named_invokable(&args.target)? {
        Some((_, named)) if args.config == "{}" => named.to_string(),
        Some(_) => anyhow::bail!(
            "`{}` names an invokable with a config of its own; hint: leave out --config, or name the component instead",
            args.target
        ),
        None => json_arg(io, "config", &args.config)?,
    };
    let call = Call::new(component)
        .config(&config)
        .input(&input)
        .answerer(match args.answer {
            Some(text) => Box::new(enact_core::answer::FirstThen::text(text, args.answers.answerer(rt, io)?)),
            None => args.answers.answerer(rt, io)?,
        })
        .grants(args.dirs.into_iter().map(|g| Grant { host: io.path(&g.host), ..g }).collect())
        .limits(limits);
    let inv = crate::progress::watched(io, args.json, |observer| rt.invoke(call.observer(observer)))?;
    if args.raw
        && let Some(serde_json::Value::String(text)) = &inv.output
    {
        crate::outln!(io, "{text}");
        noteln!(io, "invocation {} completed ({})", inv.id.short(), output::events(inv.record.events));
        return Ok(output::status_of(&inv.record.outcome));
    }
    output::print_invocation(rt, io, &inv, args.json)?;
    Ok(output::status_of(&inv.record.outcome))
}
