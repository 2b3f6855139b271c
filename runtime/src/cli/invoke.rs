//! `enact invoke TARGET [--config JSON] [--input JSON] [--answers FILE|llm] [--interactive] [--json]`

use super::answers::AnswerArgs;
use super::{Status, output};
use crate::runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A component id, unique id prefix (12+ hex digits) or name
    target: String,
    /// The config, as JSON
    #[arg(long, default_value = "{}")]
    config: String,
    /// The input, as JSON
    #[arg(long, default_value = "null")]
    input: String,
    #[command(flatten)]
    answers: AnswerArgs,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, args: Args) -> anyhow::Result<Status> {
    let component = rt.resolve_component(&args.target)?;
    let answerer = args.answers.answerer(rt)?;
    let inv = rt.invoke_with(&component, &args.config, &args.input, answerer)?;
    output::print_invocation(rt, &inv, args.json)?;
    Ok(output::status_of(&inv.record.outcome))
}
