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
    /// Serve only the first K events and go on live from there, re-sampling event K and all after it
    #[arg(long, value_name = "K", conflicts_with_all = ["override_event", "retry_failed"])]
    live_from: Option<u64>,
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
    // A run made by another engine replays here, and says whether it came out the same.
    let recorded = rt.load(&id)?.record.engine;
    let engine = rt.engine_info();
    let other_engine = recorded.enact != engine.enact || recorded.compatibility != engine.compatibility;
    if other_engine {
        noteln!(io, "recorded by {recorded}; replaying on {engine}");
    }
    let answerer = args.answers.answerer(rt, io)?;
    let replay = crate::progress::watched(io, args.json, |observer| {
        let options = ReplayOptions {
            retry_failed: args.retry_failed,
            override_event: args.override_event,
            go_live_at: args.live_from,
            answerer,
            observer,
            ..ReplayOptions::default()
        };
        rt.replay_with(&id, options)
    });
    let replay = match replay {
        Err(enact_runtime::ReplayError::Run(e)) if other_engine => {
            return Err(anyhow::anyhow!("{e}; hint: it was recorded by {recorded}, this is {engine}: replay it there"));
        }
        other => other?,
    };
    let inv = &replay.invocation;
    if args.json {
        let mut obj = output::invocation_json(rt, inv)?;
        obj["identical"] = serde_json::json!(replay.identical);
        obj["replayed"] = serde_json::json!(id.to_string());
        obj["other_engine"] = serde_json::json!(other_engine.then_some(&recorded));
        outln!(io, "{obj}");
    } else {
        output::print_invocation(rt, io, inv, false)?;
        if replay.identical && other_engine {
            noteln!(
                io,
                "replay identical on this engine: same output and journal ({})",
                output::events(inv.record.events)
            );
        } else if replay.identical {
            noteln!(io, "replay identical: same output and journal ({})", output::events(inv.record.events));
        } else {
            noteln!(io, "replay went live: new invocation {} from {}", inv.id.short(), id.short());
            noteln!(io, "  next: `enact show {}`", inv.id.short());
        }
    }
    Ok(output::status_of(&inv.record.outcome))
}
