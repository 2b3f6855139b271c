//! `enact replay INVOCATION [--json]`

use super::{Status, output};
use crate::runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// An invocation id or unique id prefix (12+ hex digits)
    invocation: String,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, args: Args) -> anyhow::Result<Status> {
    let id = rt.resolve_invocation(&args.invocation)?;
    let replay = rt.replay(&id)?;
    let inv = &replay.invocation;
    if args.json {
        let mut obj = output::invocation_json(inv);
        obj["identical"] = serde_json::json!(replay.identical);
        obj["replayed"] = serde_json::json!(id.to_string());
        println!("{obj}");
    } else {
        output::print_invocation(inv, false);
        if replay.identical {
            eprintln!("replay identical: same output and journal ({} events)", inv.record.events);
        } else {
            eprintln!("replay went live: new invocation {} from {id}", inv.id);
        }
    }
    Ok(output::status_of(&inv.record.outcome))
}
