//! `enact resume INVOCATION [--answer JSON] [--answers FILE|llm] [--interactive] [--json]`

use super::answers::AnswerArgs;
use super::{Status, output};
use crate::Io;
use crate::noteln;
use enact_core::answer::{InputRequest, parse_answer};
use enact_core::record::Outcome;
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
    let then = args.answers.answerer(rt, io)?;
    let answer = args.answer.clone();
    let inv = if args.invocation.starts_with("run:") {
        if answer.is_some() {
            anyhow::bail!("a cut-off run awaits no answer; hint: resume it without `--answer`");
        }
        let run = rt.resolve_run(&args.invocation)?;
        crate::progress::watched(io, args.json, |observer| {
            rt.resume_run(run, ReplayOptions { answerer: then, observer, ..ReplayOptions::default() })
        })?
    } else {
        let id = rt.resolve_invocation(&args.invocation)?;
        let pending = match rt.load(&id)?.record.outcome {
            Outcome::AwaitingInput { request } => {
                let request = enact_store::load::json(&rt.storage().read()?, &request)?;
                Some(serde_json::from_value::<InputRequest>(request)?)
            }
            _ => None,
        };
        // Typed as on the terminal: text for a string schema, else JSON.
        let answer = match (&pending, answer) {
            (Some(request), Some(text)) => Some(request.answer_from_text(&text)),
            (None, Some(text)) => Some(parse_answer(&text)),
            (_, None) => None,
        };
        if pending.is_some() && answer.is_none() && !args.answers.given() {
            let id = id.short();
            anyhow::bail!("invocation `{id}` awaits input; hint: give it with `enact resume {id} --answer JSON`");
        }
        crate::progress::watched(io, args.json, |observer| {
            rt.resume(&id, answer, ReplayOptions { answerer: then, observer, ..ReplayOptions::default() })
        })?
    };
    output::print_invocation(rt, io, &inv, args.json)?;
    if !args.json && !matches!(inv.record.outcome, Outcome::AwaitingInput { .. }) {
        noteln!(io, "  next: `enact show {}`", inv.id.short());
    }
    Ok(output::status_of(&inv.record.outcome))
}
