//! `enact invoke TARGET [--config JSON] [--input JSON] [--answers FILE|llm] [--interactive] [limits] [--json]`

use crate::Io;
use anyhow::Context;

use super::answers::AnswerArgs;
use super::limits::LimitArgs;
use super::{Status, output};
use enact_runtime::{Call, Runtime};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A component: its name, its id, a unique prefix of the id, or a .wasm file (added first)
    target: String,
    /// The config, as JSON, or `@FILE` to read it from a file
    #[arg(long, default_value = "{}")]
    config: String,
    /// The input, as JSON, or `@FILE` to read it from a file
    #[arg(long, default_value = "null")]
    input: String,
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
}

/// The text itself, or the contents of the file after `@`.
fn json_arg(text: &str) -> anyhow::Result<String> {
    match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read `{path}`")),
        None => Ok(text.to_string()),
    }
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let limits = args.limits.apply(rt.limits().clone())?;
    let component = super::add::component_of(rt, io, &args.target)?;
    let call = Call::new(component)
        .config(&json_arg(&args.config)?)
        .input(&json_arg(&args.input)?)
        .answerer(match args.answer {
            Some(text) => Box::new(crate::answerers::TextAnswer::new(text, args.answers.answerer(rt)?)),
            None => args.answers.answerer(rt)?,
        })
        .grants(args.dirs)
        .limits(limits);
    let inv = crate::progress::watched(args.json, |observer| rt.invoke(call.observer(observer)))?;
    output::print_invocation(rt, io, &inv, args.json)?;
    Ok(output::status_of(&inv.record.outcome))
}
