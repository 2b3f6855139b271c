//! `enact session start|send|show|ls`: a flow driven as a dialogue, as
//! Genie Flow does. A session is a name in the store pointing at the latest
//! invocation of the dialogue; each `send` answers the `ask` that
//! invocation awaits and runs to the next one, as a new invocation whose
//! parent is the previous turn, so every earlier turn stays addressable.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::Status;
use super::flow::{dialogue, interpreter, latest_state, load_checked, print_run, state_arg};
use crate::Io;
use crate::{noteln, outln};
use enact_core::record::{Invocation, Outcome};
use enact_core::value::Digest;
use enact_runtime::{Call, ReplayOptions, Runtime};

#[derive(Debug, clap::Subcommand)]
pub(super) enum Command {
    /// Start a dialogue: run the flow until it asks the user something
    #[command(after_help = "Examples:\n  enact session start examples/flows/qa_capture.toml --name ada")]
    Start(StartArgs),
    /// Say something in a dialogue: answer what it asks, run to its next question, print what it said
    #[command(after_help = "Examples:\n  enact session send ada 'My name is Ada'")]
    Send(SendArgs),
    /// Print a dialogue
    #[command(after_help = "Examples:\n  enact session show ada\n  enact session show ada --json")]
    Show(ShowArgs),
    /// List the sessions
    #[command(after_help = "Examples:\n  enact session ls\n  enact session ls --json")]
    Ls(LsArgs),
}

#[derive(Debug, clap::Args)]
pub(super) struct StartArgs {
    /// The flow
    file: PathBuf,
    /// The session's name [default: the flow's name]
    #[arg(long)]
    name: Option<String>,
    /// Keys merged over the flow's initial state, as a JSON object
    #[arg(long, value_name = "JSON")]
    state: Option<String>,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub(super) struct SendArgs {
    /// The session
    name: String,
    /// What the user says (text; JSON when the question asks for more than a string)
    text: String,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub(super) struct ShowArgs {
    /// The session
    name: String,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub(super) struct LsArgs {
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, command: Command) -> anyhow::Result<Status> {
    match command {
        Command::Start(args) => start(rt, io, args),
        Command::Send(args) => send(rt, io, args),
        Command::Show(args) => show(rt, io, args),
        Command::Ls(args) => ls(rt, io, args),
    }
}

fn session(rt: &Runtime, name: &str) -> anyhow::Result<Invocation> {
    let Some(id) = rt.storage().read()?.session(name)? else {
        anyhow::bail!(
            "no session `{name}`; hint: `enact session ls` lists them, `enact session start FILE --name {name}` starts one"
        );
    };
    Ok(rt.load(&id)?)
}

/// The question a turn awaits, when it awaits one.
fn pending(rt: &Runtime, inv: &Invocation) -> anyhow::Result<Option<Value>> {
    match &inv.record.outcome {
        Outcome::AwaitingInput { request } => Ok(Some(enact_store::load::json(&rt.storage().read()?, request)?)),
        _ => Ok(None),
    }
}

/// Prints the turn's new messages, then the question it awaits.
fn print_turn(rt: &Runtime, io: &mut Io, inv: &Invocation, from: usize, json: bool) -> anyhow::Result<Status> {
    let question = pending(rt, inv)?;
    let Some(question) = question else {
        return print_run(rt, io, inv, json, from);
    };
    let state = latest_state(rt, inv)?;
    let messages = dialogue(&state);
    if json {
        let said: Vec<&Value> = messages.iter().skip(from).collect();
        outln!(io, "{}", json!({"invocation": inv.id, "said": said, "asks": question["prompt"], "state": state}));
        return Ok(Status::AwaitingInput);
    }
    for message in messages.iter().skip(from) {
        outln!(io, "{}: {}", message["role"].as_str().unwrap_or("?"), text(&message["content"]));
    }
    outln!(io, "assistant: {}", text(&question["prompt"]));
    Ok(Status::AwaitingInput)
}

fn text(value: &Value) -> String {
    value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())
}

fn start(rt: &Runtime, io: &mut Io, args: StartArgs) -> anyhow::Result<Status> {
    let loaded = load_checked(&io.path(&args.file))?;
    let name = args.name.unwrap_or_else(|| loaded.flow.flow.clone());
    if rt.storage().read()?.session(&name)?.is_some() {
        anyhow::bail!(
            "session `{name}` exists; hint: `enact session send {name} TEXT` goes on with it, `--name` starts another"
        );
    }
    let state = state_arg(args.state.as_deref())?;
    let call = Call::new(interpreter(rt)?).config(&loaded.flow.to_json()).input(&json!({"state": state}).to_string());
    let inv = crate::progress::watched(io, args.json, |observer| rt.invoke(call.observer(observer)))?;
    rt.storage().write(|w| w.set_session(&name, &inv.id))?;
    let status = print_turn(rt, io, &inv, 0, args.json)?;
    if !args.json {
        noteln!(
            io,
            "session `{name}` started: invocation {}; hint: `enact session send {name} TEXT` answers",
            inv.id.short()
        );
    }
    Ok(status)
}

fn send(rt: &Runtime, io: &mut Io, args: SendArgs) -> anyhow::Result<Status> {
    let turn = session(rt, &args.name)?;
    let Some(question) = pending(rt, &turn)? else {
        anyhow::bail!(
            "session `{}` is {} and asks nothing; hint: `enact session show {}` shows how it ended",
            args.name,
            turn.record.outcome.status(),
            args.name
        );
    };
    let wants_text = question["schema"].is_null() || question["schema"]["type"] == "string";
    let answer = if wants_text {
        Value::String(args.text.clone())
    } else {
        serde_json::from_str(&args.text).unwrap_or_else(|_| Value::String(args.text.clone()))
    };
    // The new turn's messages start after the question and the user's answer.
    let from = dialogue(&latest_state(rt, &turn)?).len() + 2;
    let next = crate::progress::watched(io, args.json, |observer| {
        rt.resume(&turn.id, Some(answer), ReplayOptions { observer, ..ReplayOptions::default() })
    })?;
    rt.storage().write(|w| w.set_session(&args.name, &next.id))?;
    let status = print_turn(rt, io, &next, from, args.json)?;
    if !args.json {
        noteln!(io, "session `{}`: invocation {} (after {})", args.name, next.id.short(), turn.id.short());
    }
    Ok(status)
}

fn show(rt: &Runtime, io: &mut Io, args: ShowArgs) -> anyhow::Result<Status> {
    let turn = session(rt, &args.name)?;
    let state = latest_state(rt, &turn)?;
    let question = pending(rt, &turn)?;
    let messages = dialogue(&state);
    if args.json {
        outln!(
            io,
            "{}",
            json!({"session": args.name, "invocation": turn.id, "status": turn.record.outcome.status(),
                   "dialogue": messages, "asks": question.as_ref().map(|q| q["prompt"].clone())})
        );
        return Ok(Status::Completed);
    }
    for message in &messages {
        outln!(io, "{}: {}", message["role"].as_str().unwrap_or("?"), text(&message["content"]));
    }
    if let Some(question) = &question {
        outln!(io, "assistant: {}", text(&question["prompt"]));
    }
    noteln!(
        io,
        "session `{}`: {} messages, {} (invocation {})",
        args.name,
        messages.len(),
        turn.record.outcome.status(),
        turn.id.short()
    );
    Ok(Status::Completed)
}

fn ls(rt: &Runtime, io: &mut Io, args: LsArgs) -> anyhow::Result<Status> {
    let sessions: Vec<(String, Digest)> = rt.storage().read()?.sessions()?;
    let mut rows = Vec::new();
    for (name, id) in sessions {
        let inv = rt.load(&id)?;
        let messages = dialogue(&latest_state(rt, &inv)?).len();
        rows.push((name, inv, messages));
    }
    if args.json {
        let list: Vec<Value> = rows
            .iter()
            .map(|(name, inv, n)| json!({"session": name, "invocation": inv.id, "status": inv.record.outcome.status(), "messages": n}))
            .collect();
        outln!(io, "{}", Value::Array(list));
        return Ok(Status::Completed);
    }
    for (name, inv, n) in &rows {
        outln!(io, "{name:<20} {}  {:<15} {n} messages", inv.id.short(), inv.record.outcome.status());
    }
    if rows.is_empty() {
        noteln!(io, "no sessions; hint: `enact session start FILE --name NAME` starts one");
    }
    Ok(Status::Completed)
}
