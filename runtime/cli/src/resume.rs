//! `enact resume INVOCATION [--answer JSON] [--answers FILE|llm] [--interactive] [--json]`

use super::answers::AnswerArgs;
use super::{Status, output};
use crate::Io;
use enact_core::answer::parse_answer;
use enact_runtime::{ReplayOptions, Runtime};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// An invocation: its id or a unique prefix, `last`, a component's name (its latest invocation), or a cut-off `run:<hex>`
    invocation: String,
    /// The answer to the pending request: JSON, or else taken as a string
    #[arg(long, value_name = "JSON")]
    answer: Option<String>,
    #[command(flatten)]
    answers: AnswerArgs,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let then = args.answers.answerer(rt)?;
    let answer = args.answer.as_deref().map(parse_answer);
    let inv = if args.invocation.starts_with("run:") {
        if answer.is_some() {
            anyhow::bail!("a cut-off run awaits no answer; hint: resume it without `--answer`");
        }
        let run = rt.resolve_run(&args.invocation)?;
        crate::progress::watched(args.json, |observer| {
            rt.resume_run(run, ReplayOptions { answerer: then, observer, ..ReplayOptions::default() })
        })?
    } else {
        let id = rt.resolve_invocation(&args.invocation)?;
        let awaiting = matches!(rt.load(&id)?.record.outcome, enact_core::record::Outcome::AwaitingInput { .. });
        if awaiting && answer.is_none() && !args.answers.given() {
            let id = id.short();
            anyhow::bail!("invocation `{id}` awaits input; hint: give it with `enact resume {id} --answer JSON`");
        }
        crate::progress::watched(args.json, |observer| {
            rt.resume(&id, answer, ReplayOptions { answerer: then, observer, ..ReplayOptions::default() })
        })?
    };
    output::print_invocation(rt, io, &inv, args.json)?;
    Ok(output::status_of(&inv.record.outcome))
}
