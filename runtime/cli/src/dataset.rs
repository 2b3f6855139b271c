//! `enact dataset export [--component X] [--annotated] --format chat-jsonl|jsonl [-o FILE]`:
//! executions as training data, read from the journals.
//!
//! `chat-jsonl` writes one line per completion the selected runs received
//! (their children's too), in the chat format OpenAI-compatible fine-tuning
//! reads: `{"messages": [...the request's messages, the assistant's reply],
//! "tools": [...]}`, plus a `metadata` object (the invocation, the event,
//! the model, and the annotations' labels and score: the event's own, else
//! the run's), which a trainer that refuses unknown keys needs stripped.
//! `jsonl` writes one line per completed run: `{input, output}` with the
//! same metadata.

use std::io::Write;

use serde_json::{Value, json};

use super::Status;
use crate::Io;
use crate::{noteln, out, outln};
use enact_core::event::Event;
use enact_core::feedback::Annotation;
use enact_core::llm::{Completion, CompletionRequest, Message, ToolCall};
use enact_core::record::{InvocationEntry, Outcome};
use enact_core::value::{Digest, decode_json};
use enact_runtime::Runtime;
use enact_store::Reader;
use enact_store::load::{self, Packs};

#[derive(Debug, clap::Subcommand)]
pub(super) enum Command {
    /// Write the selected runs' LLM exchanges, or their inputs and outputs, as JSON lines
    #[command(
        after_help = "Examples:\n  enact dataset export --format chat-jsonl -o chats.jsonl\n  enact dataset export --component chat --annotated --format chat-jsonl -o good.jsonl\n  enact dataset export --component dice --format jsonl"
    )]
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
pub(super) struct ExportArgs {
    /// Only runs of this component (a name, id or unique prefix)
    #[arg(long)]
    component: Option<String>,
    /// Only runs that have annotations
    #[arg(long)]
    annotated: bool,
    /// `chat-jsonl`: one fine-tuning example per completion; `jsonl`: one `{input, output}` per completed run
    #[arg(long, value_parser = ["chat-jsonl", "jsonl"])]
    format: String,
    /// The file to write [default: standard output]
    #[arg(short, long, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    /// With `-o`: print `{file, examples, runs}` as one JSON object on stdout
    #[arg(long, requires = "output")]
    json: bool,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, command: Command) -> anyhow::Result<Status> {
    let Command::Export(args) = command;
    let component = args.component.as_deref().map(|c| rt.resolve_component(c)).transpose()?;
    let reader = rt.storage().read()?;
    let annotated = reader.annotated()?;
    let mut roots: Vec<(Digest, InvocationEntry)> = reader.invocations()?;
    roots.retain(|(id, e)| component.is_none_or(|c| e.component == c) && (!args.annotated || annotated.contains(id)));
    roots.sort_by_key(|(_, e)| e.created_ms);
    let mut lines = Vec::new();
    for (id, entry) in &roots {
        let annotations: Vec<Annotation> = reader.annotations(id)?;
        let opened = load::open(&reader, id)?;
        match args.format.as_str() {
            "jsonl" => {
                let record = &opened.invocation.record;
                let Outcome::Completed { output } = &record.outcome else { continue };
                lines.push(json!({
                    "input": load::json(&reader, &record.input)?,
                    "output": load::json(&reader, output)?,
                    "metadata": metadata(id, None, ("component", &entry.name), &annotations),
                }));
            }
            _ => {
                let packs = Packs::new(&reader);
                let mut found = Vec::new();
                exchanges(&reader, &packs, &opened.journal, true, &mut found)?;
                for (event, request, completion) in found {
                    let mut line = chat_example(&request, &completion);
                    line["metadata"] = metadata(id, event, ("model", &completion.model), &annotations);
                    lines.push(line);
                }
            }
        }
    }
    drop(reader);
    let mut text = String::new();
    for line in &lines {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    match &args.output {
        Some(path) => {
            let path = io.path(path);
            let mut file =
                std::fs::File::create(&path).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            file.write_all(text.as_bytes())?;
            if args.json {
                outln!(io, "{}", json!({"file": path, "examples": lines.len(), "runs": roots.len()}));
            } else {
                noteln!(io, "wrote {} examples from {} runs to {}", lines.len(), roots.len(), path.display());
            }
        }
        None => out!(io, "{text}"),
    }
    Ok(Status::Completed)
}

/// The completions in `journal` and its children's journals, with their
/// requests: `(root event, request, completion)`, the event only for the root's own.
fn exchanges(
    reader: &Reader,
    packs: &Packs,
    journal: &[Event],
    root: bool,
    out: &mut Vec<(Option<u64>, CompletionRequest, Completion)>,
) -> anyhow::Result<()> {
    for (i, event) in journal.iter().enumerate() {
        match event {
            Event::Llm(call) => {
                let Ok(completion) = &call.result else { continue };
                let request: CompletionRequest =
                    decode_json(&call.request, "a completion request", &reader.blob(&call.request)?)?;
                let completion: Completion = decode_json(completion, "a completion", &reader.blob(completion)?)?;
                out.push((root.then_some(i as u64), request, completion));
            }
            Event::Invoke(call) => {
                if let Some(sealed) = &call.sealed {
                    let child = packs.get(sealed)?;
                    exchanges(reader, packs, &child.journal, false, out)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// One fine-tuning example: the conversation, then the reply.
fn chat_example(request: &CompletionRequest, completion: &Completion) -> Value {
    let mut messages: Vec<Value> = request.messages.iter().map(message).collect();
    let reply = Message {
        role: "assistant".into(),
        content: completion.text.clone(),
        tool_calls: completion.tool_calls.clone(),
        tool_call_id: None,
    };
    messages.push(message(&reply));
    let mut example = json!({"messages": messages});
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}))
            .collect();
        example["tools"] = Value::Array(tools);
    }
    example
}

/// A message as the chat format writes it.
fn message(m: &Message) -> Value {
    let mut v = json!({"role": m.role, "content": m.content});
    if !m.tool_calls.is_empty() {
        let calls: Vec<Value> = m.tool_calls.iter().map(tool_call).collect();
        v["tool_calls"] = Value::Array(calls);
    }
    if let Some(id) = &m.tool_call_id {
        v["tool_call_id"] = json!(id);
    }
    v
}

fn tool_call(c: &ToolCall) -> Value {
    json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}})
}

/// Where an example came from, and what people said of it: the labels and
/// score of the event's annotations, else of the run's.
fn metadata(id: &Digest, event: Option<u64>, (key, what): (&str, &str), annotations: &[Annotation]) -> Value {
    let own: Vec<&Annotation> = annotations.iter().filter(|a| event.is_some() && a.event == event).collect();
    let run: Vec<&Annotation> = annotations.iter().filter(|a| a.event.is_none()).collect();
    let chosen = if own.is_empty() { run } else { own };
    let labels: Vec<&str> = chosen.iter().map(|a| a.label.as_str()).collect();
    let score = chosen.iter().rev().find_map(|a| a.score);
    let mut meta = json!({"invocation": id, "event": event, "labels": labels, "score": score});
    meta[key] = json!(what);
    meta
}
