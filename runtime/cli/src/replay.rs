//! `enact replay INVOCATION [--json]`

use super::{Status, output};
use crate::Io;
use crate::{noteln, outln};
use enact_runtime::{ReplayOptions, Runtime};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// An invocation: its id or a unique prefix, `last`, or a component's name (its latest invocation)
    invocation: String,
    /// Run the first failed child of the root again instead of reusing its failure
    #[arg(long)]
    retry_failed: bool,
    /// Replace the response of root event INDEX with VALUE (JSON, or as `show --events` prints it) and go on live from there
    #[arg(long = "override", value_name = "INDEX=VALUE", value_parser = parse_override)]
    override_event: Option<(u64, serde_json::Value)>,
    #[command(flatten)]
    answers: super::answers::AnswerArgs,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

fn parse_override(text: &str) -> Result<(u64, serde_json::Value), String> {
    let (index, json) = text.split_once('=').ok_or_else(|| format!("`{text}` is not INDEX=JSON"))?;
    let index = index.trim().parse().map_err(|_| format!("`{index}` is not an event index"))?;
    // JSON, else the text as `show` prints it (a time, `0x` bytes, an answer).
    let value = serde_json::from_str(json).unwrap_or_else(|_| serde_json::Value::String(json.to_string()));
    Ok((index, value))
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let id = rt.resolve_invocation(&args.invocation)?;
    let answerer = args.answers.answerer(rt, io)?;
    let replay = crate::progress::watched(io, args.json, |observer| {
        let options =
            ReplayOptions { retry_failed: args.retry_failed, override_event: args.override_event, answerer, observer };
        rt.replay_with(&id, options)
    })?;
    let inv = &replay.invocation;
    if args.json {
        let mut obj = output::invocation_json(rt, inv)?;
        obj["identical"] = serde_json::json!(replay.identical);
        obj["replayed"] = serde_json::json!(id.to_string());
        outln!(io, "{obj}");
    } else {
        output::print_invocation(rt, io, inv, false)?;
        if replay.identical {
            noteln!(io, "replay identical: same output and journal ({})", output::events(inv.record.events));
        } else {
            noteln!(io, "replay went live: new invocation {} from {}", inv.id.short(), id.short());
            noteln!(io, "  next: `enact show {}`", inv.id.short());
        }
    }
    Ok(output::status_of(&inv.record.outcome))
}
